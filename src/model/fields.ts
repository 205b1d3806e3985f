// Field types shared by the kinds, each with Calico's rule and a plain message naming the value.

import { z } from 'zod';
import { isMasked, parseCIDR, parseIP, networkOf, formatCIDR, type CIDR } from '../lib/ip.js';
import { checkSelector } from '../selector/index.js';
import { show } from './issues.js';

export const MAX_SELECTOR = 1024;

/** An IP address (v4 or v6). */
export const ipAddress = () => z.string().refine((s) => parseIP(s) !== null, {
  error: (i) => `${show(i.input)} is not a valid IP address`,
});

/** A CIDR. With `masked`, host bits must be clear (10.0.0.0/8, not 10.0.0.1/8). */
export const cidr = (opts: { masked?: boolean } = {}) => z.string().superRefine((s, ctx) => {
  const c = parseCIDR(s);
  if (c === null) {
    ctx.addIssue({ code: 'custom', message: `${show(s)} is not a valid CIDR`, input: s });
  } else if (opts.masked && !isMasked(c)) {
    const net = formatCIDR({ ...c, address: networkOf(c) });
    ctx.addIssue({ code: 'custom', message: `${show(s)} has host bits set; the network is "${net}"`, input: s });
  }
});

/** An address with its prefix length, as Node `bgp.ipv4Address` (`10.0.0.5/24`): host bits allowed. */
export const addressWithMask = (version: 4 | 6) => z.string().superRefine((s, ctx) => {
  const c = parseCIDR(s);
  if (c === null || c.version !== version) {
    ctx.addIssue({
      code: 'custom', input: s,
      message: `${show(s)} is not an IPv${version} address with its prefix length (e.g. ${version === 4 ? '10.0.0.5/24' : 'fd00::5/64'})`,
    });
  }
});

/** A label selector in Calico's language; empty means all(). */
export const selector = () => z.string().superRefine((s, ctx) => {
  if (s.length > MAX_SELECTOR) {
    ctx.addIssue({ code: 'custom', message: `is ${s.length} characters long; a selector is at most ${MAX_SELECTOR}`, input: s });
    return;
  }
  const problem = checkSelector(s);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `${show(s)} is not a valid selector: ${problem}`, input: s });
});

// Kubernetes label rules: key = [prefix/]name, prefix a DNS subdomain (<= 253), name <= 63 of
// [A-Za-z0-9-_.] starting and ending alphanumeric; value the same as a name, or empty.
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function labelKeyProblem(k: string): string | null {
  const slash = k.lastIndexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : null;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== null && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `label key ${show(k)} has an invalid prefix (a DNS subdomain is expected)`;
  if (!LABEL_NAME.test(name)) return `label key ${show(k)} is invalid: at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
  return null;
}

export const labels = () => z.record(z.string(), z.string()).superRefine((m, ctx) => {
  for (const [k, v] of Object.entries(m)) {
    const p = labelKeyProblem(k);
    if (p) ctx.addIssue({ code: 'custom', message: p, path: [k], input: k });
    const vp = labelValueProblem(v);
    if (vp) ctx.addIssue({ code: 'custom', path: [k], input: v, message: vp });
  }
});

/** A resource name: a DNS subdomain (lower-case letters, digits, '-' and '.'), at most 253 characters. */
export function nameProblem(name: string): string | null {
  if (name.length > 253) return `${show(name)} is longer than 253 characters`;
  if (!DNS_SUBDOMAIN.test(name)) {
    return `${show(name)} is not a valid name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`;
  }
  return null;
}

export const dnsSubdomain = () => z.string().superRefine((s, ctx) => {
  const p = nameProblem(s);
  if (p) ctx.addIssue({ code: 'custom', message: p, input: s });
});

/** An AS number: 0–4294967295, as a number or in asdot notation ("1.10"); stored as a number. */
export const asNumber = () => z.union([z.number(), z.string()]).transform((v, ctx) => {
  let n: number | null = null;
  if (typeof v === 'number') n = v;
  else if (/^\d+$/.test(v)) n = Number(v);
  else {
    const m = /^(\d+)\.(\d+)$/.exec(v);
    if (m && Number(m[1]) <= 65535 && Number(m[2]) <= 65535) n = Number(m[1]) * 65536 + Number(m[2]);
  }
  if (n === null || !Number.isInteger(n) || n < 0 || n > 4294967295) {
    ctx.addIssue({ code: 'custom', message: `${show(v)} is not a valid AS number (0–4294967295, or asdot like "1.10")`, input: v });
    return z.NEVER;
  }
  return n;
});

/** A Go duration as Calico's Kubernetes-style fields take it: "90s", "1m30s", "500ms", "0". */
export const duration = () => z.string().refine((s) => /^(0|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/.test(s), {
  error: (i) => `${show(i.input)} is not a duration like "90s", "5m" or "1h30m"`,
});

/** Converts a Go duration string to milliseconds (already validated by `duration()`). */
export function durationMs(s: string): number {
  if (s === '0') return 0;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

export const PROTOCOLS = ['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite'] as const;

/** A protocol name (any case; stored in Calico's case) or a number 1–255. */
export const protocol = () => z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number' || /^\d+$/.test(v)) {
    const n = Number(v);
    if (Number.isInteger(n) && n >= 1 && n <= 255) return typeof v === 'number' ? n : n;
  } else {
    const named = PROTOCOLS.find((p) => p.toLowerCase() === v.toLowerCase());
    if (named) return named;
  }
  ctx.addIssue({ code: 'custom', message: `${show(v)} is not a protocol: use ${PROTOCOLS.join(', ')} or a number 1–255`, input: v });
  return z.NEVER;
});

/** A port: a number 0–65535, a range "min:max", or a named port (a name the endpoint declares). */
export const port = () => z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 65535;
  if (typeof v === 'number') {
    if (!ok(v)) ctx.addIssue({ code: 'custom', message: `${v} is not a port number (0–65535)`, input: v });
    return;
  }
  const range = /^(\d+):(\d+)$/.exec(v);
  if (range) {
    const lo = Number(range[1]), hi = Number(range[2]);
    if (!ok(lo) || !ok(hi) || lo > hi) ctx.addIssue({ code: 'custom', message: `${show(v)} is not a port range "min:max" with 0 <= min <= max <= 65535`, input: v });
    return;
  }
  if (/^\d+$/.test(v)) {
    if (!ok(Number(v))) ctx.addIssue({ code: 'custom', message: `${show(v)} is not a port number (0–65535)`, input: v });
    return;
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) || v.length > 15) {
    ctx.addIssue({ code: 'custom', message: `${show(v)} is not a port number, a range "min:max" or a port name (at most 15 lower-case letters, digits and '-')`, input: v });
  }
});

// ---- Added with the node, endpoint and configuration kinds ----

/** An IP address of one family: `ipv4Gateway`, `routeReflectorClusterID`, tunnel addresses. */
export const ipAddressOf = (version: 4 | 6) => z.string().refine((s) => parseIP(s)?.version === version, {
  error: (i) => `${show(i.input)} is not a valid IPv${version} address`,
});

/**
 * An IP address or a CIDR, as Calico's `ParseCIDROrIP` takes them (a bare address means /32 or
 * /128). `masked`: host bits must be clear (Calico's `net` rule); `version`: one family only.
 */
export const ipOrCidr = (opts: { masked?: boolean; version?: 4 | 6 } = {}) => z.string().superRefine((s, ctx) => {
  const c = parseIPOrCIDR(s);
  const fam = opts.version ? `IPv${opts.version} ` : 'IP ';
  if (c === null || (opts.version !== undefined && c.version !== opts.version)) {
    ctx.addIssue({ code: 'custom', input: s, message: `${show(s)} is not a valid ${fam}address or CIDR` });
  } else if (opts.masked && !isMasked(c)) {
    const net = formatCIDR({ ...c, address: networkOf(c) });
    ctx.addIssue({ code: 'custom', input: s, message: `${show(s)} has host bits set; the network is "${net}"` });
  }
});

/** `10.0.0.1` → 10.0.0.1/32, `10.0.0.0/24` → itself; null when neither. */
export function parseIPOrCIDR(s: string): CIDR | null {
  if (s.includes('/')) return parseCIDR(s);
  const ip = parseIP(s);
  return ip === null ? null : { version: ip.version, address: ip.value, prefix: ip.version === 4 ? 32 : 128 };
}

// Go's net.ParseMAC: 6, 8 or 20 octets, written aa:bb:…, aa-bb-… or aabb.ccdd.eeff.
const MAC = /^([0-9a-fA-F]{2})([:-])[0-9a-fA-F]{2}(\2[0-9a-fA-F]{2})*$/;
const MAC_DOTTED = /^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4})*$/;
export const macAddress = () => z.string().refine((s) => {
  if (MAC.test(s)) return [6, 8, 20].includes(s.split(/[:-]/).length);
  if (MAC_DOTTED.test(s)) return [3, 4, 10].includes(s.split('.').length);
  return false;
}, { error: (i) => `${show(i.input)} is not a MAC address (e.g. "ee:ee:ee:ee:ee:ee")` });

/**
 * A Linux interface name: 1–15 of [A-Za-z0-9_.-]; `star` also allows "*" (HostEndpoint: all
 * interfaces), `empty` allows "" (the same as unset, as in Calico's omitempty fields).
 */
export const interfaceName = (opts: { star?: boolean; empty?: boolean } = {}) => z.string().refine(
  (s) => (opts.star === true && s === '*') || (opts.empty === true && s === '') || /^[a-zA-Z0-9_.-]{1,15}$/.test(s),
  { error: (i) => `${show(i.input)} is not an interface name: 1 to 15 letters, digits, '_', '.' or '-'${opts.star ? ', or "*" for all interfaces' : ''}` },
);

/** A named port, as Kubernetes `IsValidPortName`: at most 15 of [a-z0-9-], a letter among them, no "--", no '-' at either end. */
export const portName = () => z.string().refine(
  (s) => s.length >= 1 && s.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes('--'),
  { error: (i) => `${show(i.input)} is not a port name: at most 15 lower-case letters, digits and '-', with at least one letter` },
);

/** One of fixed words, in any case (Calico's `^(?i)(…)$` patterns); stored in Calico's spelling. */
export const caselessEnum = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((s, ctx): T[number] => {
    const hit = values.find((v) => v.toLowerCase() === s.toLowerCase());
    if (hit === undefined) {
      ctx.addIssue({ code: 'custom', input: s, message: `${show(s)} is not one of: ${values.join(', ')}` });
      return z.NEVER;
    }
    return hit;
  });

/** Protocols that carry ports (Calico's `Protocol.SupportsPorts`): TCP, UDP, SCTP by name or number. */
export function protocolHasPorts(p: string | number): boolean {
  return typeof p === 'number' ? [6, 17, 132].includes(p) : ['TCP', 'UDP', 'SCTP'].includes(p);
}

/** A regular expression (Felix's interface patterns); checked with JavaScript's syntax. */
export const regexp = () => z.string().superRefine((s, ctx) => {
  try { new RegExp(s); } catch (e) {
    ctx.addIssue({ code: 'custom', input: s, message: `${show(s)} is not a valid regular expression: ${(e as Error).message}` });
  }
});

// ---- Added with the policy kinds ----

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label (Tier and Namespace names): at most 63 lower-case letters, digits and '-', no dots. */
export function dnsLabelProblem(name: string): string | null {
  if (name.length > 63) return `${show(name)} is longer than 63 characters`;
  if (!DNS_LABEL.test(name)) return `${show(name)} is not a valid name: use lower-case letters, digits and '-' (no '.'), starting and ending with a letter or digit`;
  return null;
}

/**
 * The canonical CIDR of an address or CIDR, as Felix uses it (Calico's `ParseCIDROrIP`, then the
 * network): `10.0.0.1` → `10.0.0.1/32`, `10.0.0.1/24` → `10.0.0.0/24`, `FD00::/64` → `fd00::/64`.
 * null when `s` is neither.
 */
export function canonicalNet(s: string): string | null {
  const c = parseIPOrCIDR(s);
  return c === null ? null : formatCIDR({ ...c, address: networkOf(c) });
}

/** A Kubernetes label value: empty, or at most 63 of [A-Za-z0-9-_.] starting and ending alphanumeric. */
export function labelValueProblem(v: string): string | null {
  return v === '' || LABEL_NAME.test(v) ? null
    : `label value ${show(v)} is invalid: at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
}

// zod's own array `.max()` and number `.int()` abort the checks of the enclosing objects, even those
// marked `when`, which would hide a document's other problems; listOf and intIn report instead.

/** A list of at most `max` items. */
export const listOf = <T extends z.ZodType>(item: T, max: number) => z.array(item).superRefine((a, ctx) => {
  if (Array.isArray(a) && a.length > max) ctx.addIssue({ code: 'custom', input: a, message: `has ${a.length} items; at most ${max}` });
}, { when: () => true });

/** A whole number from `lo` to `hi`. */
export const intIn = (lo: number, hi: number) => z.number().superRefine((n, ctx) => {
  if (!Number.isInteger(n) || n < lo || n > hi) ctx.addIssue({ code: 'custom', input: n, message: `${show(n)} is not a whole number from ${lo} to ${hi}` });
});

/**
 * A cross-field check for `.superRefine(onObject(check), { when: () => true })`: such a check also
 * runs when fields failed, and then sees raw input, so it runs only on an object and must look at
 * each value's type itself.
 */
export const onObject = (check: (o: Record<string, unknown>, ctx: z.RefinementCtx) => void) => (v: unknown, ctx: z.RefinementCtx): void => {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) check(v as Record<string, unknown>, ctx);
};
