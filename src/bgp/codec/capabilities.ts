// The one table of BGP capabilities (RFC 5492 §4): code, how each decodes, encodes and prints.
// Nothing else in Tortie switches on capability codes.

import { fail, u16, u32, type Writer } from './_bytes.js';
import { ERR, OPEN_SUB } from './constants.js';
import { wireError } from './wire-error.js';

export interface AfiSafi { readonly afi: number; readonly safi: number }
export interface GracefulRestartFamily extends AfiSafi { readonly forwarding: boolean }
export interface GracefulRestartCapability {
  /** R bit: the sender has just restarted (RFC 4724 §3). */
  readonly restarting: boolean;
  /** N bit: graceful restart also covers NOTIFICATIONs (RFC 8538 §2). */
  readonly notification: boolean;
  /** Restart time in seconds (12 bits). */
  readonly time: number;
  readonly families: readonly GracefulRestartFamily[];
}
export interface AddPathFamily extends AfiSafi { readonly send: boolean; readonly receive: boolean }

export interface Capabilities {
  readonly multiprotocol?: readonly AfiSafi[];           // RFC 4760 §8
  readonly routeRefresh?: true;                          // RFC 2918
  /** NLRI families whose next hop may be of another address family (RFC 8950). */
  readonly extendedNextHop?: ReadonlyArray<AfiSafi & { readonly nextHopAfi: number }>;
  readonly extendedMessage?: true;                       // RFC 8654
  readonly gracefulRestart?: GracefulRestartCapability;  // RFC 4724
  readonly fourOctetAs?: number;                         // RFC 6793
  readonly addPath?: readonly AddPathFamily[];           // RFC 7911
  readonly enhancedRouteRefresh?: true;                  // RFC 7313
  readonly fqdn?: { readonly hostname: string; readonly domain: string }; // draft-walton-bgp-hostname
  readonly ciscoRouteRefresh?: true;                     // pre-standard route refresh, code 128
  /** Capabilities this table does not know, kept as received. */
  readonly unknown?: ReadonlyArray<{ readonly code: number; readonly value: Uint8Array }>;
}

type Known = Exclude<keyof Capabilities, 'unknown'>;

interface CapabilitySpec<K extends Known> {
  readonly code: number;
  readonly name: string;
  readonly key: K;
  /** Each occurrence adds to a list (multiprotocol, add-path) instead of replacing. */
  readonly repeatable?: boolean;
  decode(b: Uint8Array, start: number, end: number): NonNullable<Capabilities[K]>;
  encode(v: NonNullable<Capabilities[K]>, w: Writer): void;
  format(v: NonNullable<Capabilities[K]>): string;
}

const bad = (name: string, why: string): never =>
  fail(wireError(ERR.OPEN, 0, 'session-reset', `Malformed ${name} capability: ${why}`));

const exactly = (name: string, start: number, end: number, n: number): void => {
  if (end - start !== n) bad(name, `length ${end - start}, expected ${n}`);
};

const empty = <K extends 'routeRefresh' | 'extendedMessage' | 'enhancedRouteRefresh' | 'ciscoRouteRefresh'>(
  code: number, name: string, key: K): CapabilitySpec<K> => ({
  code, name, key,
  decode: (_b, s, e) => { exactly(name, s, e, 0); return true as NonNullable<Capabilities[K]>; },
  encode: () => {},
  format: () => name,
});

const famName = (f: AfiSafi): string =>
  `${({ 1: 'ipv4', 2: 'ipv6' } as Record<number, string>)[f.afi] ?? `afi${f.afi}`}-${({ 1: 'unicast', 2: 'multicast' } as Record<number, string>)[f.safi] ?? `safi${f.safi}`}`;

export const CAPABILITIES = [
  {
    code: 1, name: 'multiprotocol', key: 'multiprotocol', repeatable: true,
    decode: (b, s, e) => { exactly('multiprotocol', s, e, 4); return [{ afi: u16(b, s), safi: b[s + 3]! }]; },
    encode: (v, w) => { const f = v[0]!; w.u16(f.afi).u8(0).u8(f.safi); },
    format: (v) => `multiprotocol ${v.map(famName).join(',')}`,
  } satisfies CapabilitySpec<'multiprotocol'>,
  empty(2, 'route-refresh', 'routeRefresh'),
  {
    code: 5, name: 'extended-next-hop', key: 'extendedNextHop', repeatable: true,
    decode: (b, s, e) => {
      if (e === s || (e - s) % 6 !== 0) bad('extended-next-hop', `length ${e - s} is not a non-zero multiple of 6`);
      const out: Array<AfiSafi & { nextHopAfi: number }> = [];
      for (let at = s; at < e; at += 6) out.push({ afi: u16(b, at), safi: u16(b, at + 2), nextHopAfi: u16(b, at + 4) });
      return out;
    },
    encode: (v, w) => { for (const f of v) w.u16(f.afi).u16(f.safi).u16(f.nextHopAfi); },
    format: (v) => `extended-next-hop ${v.map((f) => `${famName(f)}/afi${f.nextHopAfi}`).join(',')}`,
  } satisfies CapabilitySpec<'extendedNextHop'>,
  empty(6, 'extended-message', 'extendedMessage'),
  {
    code: 64, name: 'graceful-restart', key: 'gracefulRestart',
    decode: (b, s, e) => {
      if (e - s < 2 || (e - s - 2) % 4 !== 0) bad('graceful-restart', `length ${e - s} is not 2 + 4n`);
      const head = u16(b, s);
      const families: GracefulRestartFamily[] = [];
      for (let at = s + 2; at < e; at += 4) families.push({ afi: u16(b, at), safi: b[at + 2]!, forwarding: (b[at + 3]! & 0x80) !== 0 });
      return { restarting: (head & 0x8000) !== 0, notification: (head & 0x4000) !== 0, time: head & 0x0fff, families };
    },
    encode: (v, w) => {
      w.u16((v.restarting ? 0x8000 : 0) | (v.notification ? 0x4000 : 0) | (v.time & 0x0fff));
      for (const f of v.families) w.u16(f.afi).u8(f.safi).u8(f.forwarding ? 0x80 : 0);
    },
    format: (v) => `graceful-restart time ${v.time}${v.restarting ? ' restarting' : ''}${v.notification ? ' notification' : ''}` +
      (v.families.length ? ` ${v.families.map((f) => `${famName(f)}${f.forwarding ? '(F)' : ''}`).join(',')}` : ''),
  } satisfies CapabilitySpec<'gracefulRestart'>,
  {
    code: 65, name: '4-octet-as', key: 'fourOctetAs',
    decode: (b, s, e) => { exactly('4-octet-as', s, e, 4); return u32(b, s); },
    encode: (v, w) => { w.u32(v); },
    format: (v) => `4-octet-as ${v}`,
  } satisfies CapabilitySpec<'fourOctetAs'>,
  {
    code: 69, name: 'add-path', key: 'addPath', repeatable: true,
    decode: (b, s, e) => {
      if ((e - s) % 4 !== 0 || e === s) bad('add-path', `length ${e - s} is not a non-zero multiple of 4`);
      const out: AddPathFamily[] = [];
      for (let at = s; at < e; at += 4) {
        const sr = b[at + 3]!;
        if (sr < 1 || sr > 3) bad('add-path', `send/receive value ${sr}, expected 1, 2 or 3`);
        out.push({ afi: u16(b, at), safi: b[at + 2]!, receive: (sr & 1) !== 0, send: (sr & 2) !== 0 });
      }
      return out;
    },
    encode: (v, w) => { for (const f of v) w.u16(f.afi).u8(f.safi).u8((f.receive ? 1 : 0) | (f.send ? 2 : 0)); },
    format: (v) => `add-path ${v.map((f) => `${famName(f)}(${f.receive ? 'rx' : ''}${f.send ? 'tx' : ''})`).join(',')}`,
  } satisfies CapabilitySpec<'addPath'>,
  empty(70, 'enhanced-route-refresh', 'enhancedRouteRefresh'),
  {
    code: 73, name: 'fqdn', key: 'fqdn',
    decode: (b, s, e) => {
      const text = (at: number): [string, number] => {
        if (at >= e) bad('fqdn', 'a length octet is missing');
        const n = b[at]!;
        if (at + 1 + n > e) bad('fqdn', 'a name runs past the capability');
        let out = '';
        for (let i = 0; i < n; i++) out += String.fromCharCode(b[at + 1 + i]!);
        return [out, at + 1 + n];
      };
      const [hostname, next] = text(s);
      const [domain, end] = text(next);
      if (end !== e) bad('fqdn', 'trailing octets');
      return { hostname, domain };
    },
    encode: (v, w) => {
      for (const t of [v.hostname, v.domain]) {
        const s = t.slice(0, 255);
        w.u8(s.length);
        for (let i = 0; i < s.length; i++) w.u8(s.charCodeAt(i));
      }
    },
    format: (v) => `fqdn ${v.hostname}${v.domain ? `.${v.domain}` : ''}`,
  } satisfies CapabilitySpec<'fqdn'>,
  empty(128, 'route-refresh-old', 'ciscoRouteRefresh'),
] as const;

type AnySpec = CapabilitySpec<Known>;
const BY_CODE = new Map<number, AnySpec>(CAPABILITIES.map((c) => [c.code, c as unknown as AnySpec]));

/** Decodes the capabilities of one Capabilities optional parameter, merging into `into`. */
export function decodeCapabilities(b: Uint8Array, start: number, end: number, into: Record<string, unknown>): void {
  let at = start;
  while (at < end) {
    if (at + 2 > end) bad('capability', 'a capability header runs past the parameter');
    const code = b[at]!, len = b[at + 1]!;
    const s = at + 2, e = s + len;
    if (e > end) bad('capability', `capability ${code} of length ${len} runs past the parameter`);
    const spec = BY_CODE.get(code);
    if (spec === undefined) {
      const list = (into.unknown ?? (into.unknown = [])) as Array<{ code: number; value: Uint8Array }>;
      list.push({ code, value: b.slice(s, e) });
    } else if (spec.repeatable) {
      const v = spec.decode(b, s, e) as unknown as unknown[];
      into[spec.key] = [...((into[spec.key] as unknown[] | undefined) ?? []), ...v];
    } else {
      into[spec.key] = spec.decode(b, s, e);
    }
    at = e;
  }
}

/** Encodes each capability as its own TLV (repeatable ones once per family, as RFC 4760 asks). */
export function encodeCapabilities(caps: Capabilities, w: Writer): void {
  const one = (code: number, body: (w: Writer) => void): void => {
    w.u8(code);
    const slot = w.slot(1);
    const before = w.length;
    body(w);
    w.patch(slot, 1, w.length - before);
  };
  for (const spec of CAPABILITIES as readonly unknown[] as readonly AnySpec[]) {
    const v = caps[spec.key];
    if (v === undefined) continue;
    if (spec.code === 1) for (const f of v as readonly AfiSafi[]) one(1, (x) => spec.encode([f] as never, x));
    else one(spec.code, (x) => spec.encode(v as never, x));
  }
  for (const u of caps.unknown ?? []) one(u.code, (x) => x.bytes(u.value));
}

export function formatCapabilities(caps: Capabilities): string[] {
  const out: string[] = [];
  for (const spec of CAPABILITIES as readonly unknown[] as readonly AnySpec[]) {
    const v = caps[spec.key];
    if (v !== undefined) out.push(spec.format(v as never));
  }
  for (const u of caps.unknown ?? []) out.push(`capability ${u.code} (${u.value.length} octets)`);
  return out;
}

