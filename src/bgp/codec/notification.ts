// NOTIFICATION helpers: from a WireError, Cease with a shutdown communication (RFC 9003), and
// names for logs.

import { hex } from './_bytes.js';
import { ERR } from './constants.js';
import type { NotificationMessage } from './messages.js';
import type { WireError } from './wire-error.js';

export const notificationOf = (e: WireError): NotificationMessage =>
  ({ type: 'notification', code: e.code, subcode: e.subcode, data: e.data });

export function notification(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): NotificationMessage {
  return { type: 'notification', code, subcode, data };
}

/** Cease, with an optional UTF-8 shutdown communication for subcodes 2 and 4 (RFC 9003 §2). */
export function cease(subcode: number, text?: string): NotificationMessage {
  if (text === undefined || (subcode !== 2 && subcode !== 4)) return notification(ERR.CEASE, subcode);
  let msg = new TextEncoder().encode(text);
  if (msg.length > 255) msg = msg.slice(0, 255);
  const data = new Uint8Array(1 + msg.length);
  data[0] = msg.length;
  data.set(msg, 1);
  return notification(ERR.CEASE, subcode, data);
}

/** The shutdown communication a Cease carries, if any and if well formed. */
export function shutdownCommunication(n: NotificationMessage): string | undefined {
  if (n.code !== ERR.CEASE || (n.subcode !== 2 && n.subcode !== 4) || n.data.length === 0) return undefined;
  const len = n.data[0]!;
  if (len + 1 > n.data.length) return undefined;
  try { return new TextDecoder('utf-8', { fatal: true }).decode(n.data.subarray(1, 1 + len)); } catch { return undefined; }
}

const CODE_NAMES: Readonly<Record<number, [string, Readonly<Record<number, string>>]>> = {
  1: ['Message Header Error', { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' }],
  2: ['OPEN Message Error', { 1: 'Unsupported Version Number', 2: 'Bad Peer AS', 3: 'Bad BGP Identifier', 4: 'Unsupported Optional Parameter', 6: 'Unacceptable Hold Time', 7: 'Unsupported Capability' }],
  3: ['UPDATE Message Error', { 1: 'Malformed Attribute List', 2: 'Unrecognized Well-known Attribute', 3: 'Missing Well-known Attribute', 4: 'Attribute Flags Error', 5: 'Attribute Length Error', 6: 'Invalid ORIGIN Attribute', 8: 'Invalid NEXT_HOP Attribute', 9: 'Optional Attribute Error', 10: 'Invalid Network Field', 11: 'Malformed AS_PATH' }],
  4: ['Hold Timer Expired', {}],
  5: ['Finite State Machine Error', { 1: 'Unexpected Message in OpenSent State', 2: 'Unexpected Message in OpenConfirm State', 3: 'Unexpected Message in Established State' }],
  6: ['Cease', { 1: 'Maximum Number of Prefixes Reached', 2: 'Administrative Shutdown', 3: 'Peer De-configured', 4: 'Administrative Reset', 5: 'Connection Rejected', 6: 'Other Configuration Change', 7: 'Connection Collision Resolution', 8: 'Out of Resources', 9: 'Hard Reset' }],
  7: ['ROUTE-REFRESH Message Error', { 1: 'Invalid Message Length' }],
};

export function formatNotification(n: { code: number; subcode: number; data: Uint8Array }): string {
  const [name, subs] = CODE_NAMES[n.code] ?? [`Error ${n.code}`, {}];
  const sub = n.subcode === 0 ? '' : `/${subs[n.subcode] ?? `subcode ${n.subcode}`}`;
  const text = shutdownCommunication({ type: 'notification', ...n });
  return `${name}${sub}${text !== undefined ? `: "${text}"` : n.data.length ? ` (data ${hex(n.data)})` : ''}`;
}
