// The BGP codec: messages ⇄ bytes, a stream framer, capability negotiation. A leaf: it imports
// nothing else of bgp (as gobgp's pkg/packet/bgp).

export * from './constants.js';
export * from './wire-error.js';
export type { CodecContext } from './context.js';
export { DEFAULT_CONTEXT, contextWith } from './context.js';
export type { Nlri } from './nlri.js';
export { nlriSize } from './nlri.js';
export * from './as-path.js';
export type {
  Origin, MpReach, MpUnreach, UnknownAttribute, LargeCommunity, PathAttributes, AttributeSpec, AnyAttributeSpec,
} from './attributes.js';
export { ATTRIBUTES, ATTRIBUTE_BY_CODE, ORIGIN_NAME, formatAttributes, formatNlri } from './attributes.js';
export type { AfiSafi, AddPathFamily, Capabilities, GracefulRestartCapability, GracefulRestartFamily } from './capabilities.js';
export { CAPABILITIES, formatCapabilities } from './capabilities.js';
export * from './messages.js';
export { decodeMessage, checkHeader } from './decode.js';
export { encodeMessage, attributesBytes, endOfRib, endOfRibFamily, UPDATE_OVERHEAD } from './encode.js';
export { Framer, type Frame } from './framer.js';
export * from './open.js';
export * from './notification.js';
export * from './routes.js';
export { formatMessage } from './format.js';
export { hex, fromHex, ipv4Number, ipv4FromNumber } from './_bytes.js';
