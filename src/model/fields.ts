// Field types shared by the kinds, each with Calico's rule and a plain message naming the value.

import { z } from 'zod';
import { isMasked, parseCIDR, parseIP, networkOf, formatCIDR } from '../lib/ip.js';
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
    if (v !== '' && !LABEL_NAME.test(v)) {
      ctx.addIssue({ code: 'custom', path: [k], input: v,
        message: `label value ${show(v)} is invalid: at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit` });
    }
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
