// IP address and CIDR arithmetic on bigints, for IPv4 and IPv6. Pure; no project imports.

export type IPVersion = 4 | 6;

export interface IP {
  readonly version: IPVersion;
  readonly value: bigint;
}

export interface CIDR {
  readonly version: IPVersion;
  /** The address as written (may have host bits set; see `isMasked`). */
  readonly address: bigint;
  readonly prefix: number;
}

export const bitsOf = (v: IPVersion): number => (v === 4 ? 32 : 128);

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!V4_PART.test(p)) return null;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseV6(s: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseV4(p);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(g);
  return v;
}

export function parseIP(s: string): IP | null {
  if (typeof s !== 'string') return null;
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === null ? null : { version: 6, value: v };
  }
  const v = parseV4(s);
  return v === null ? null : { version: 4, value: v };
}

export function formatIP(ip: IP): string {
  if (ip.version === 4) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on ties.
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function parseCIDR(s: string): CIDR | null {
  if (typeof s !== 'string') return null;
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIP(s.slice(0, slash));
  const ps = s.slice(slash + 1);
  if (ip === null || !/^\d{1,3}$/.test(ps)) return null;
  const prefix = Number(ps);
  if (prefix > bitsOf(ip.version)) return null;
  return { version: ip.version, address: ip.value, prefix };
}

export function maskOf(version: IPVersion, prefix: number): bigint {
  const bits = BigInt(bitsOf(version));
  const all = (1n << bits) - 1n;
  return all ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

/** The network address of a CIDR (host bits cleared). */
export function networkOf(c: CIDR): bigint {
  return c.address & maskOf(c.version, c.prefix);
}

/** True when no host bits are set: `10.0.0.0/8` yes, `10.0.0.1/8` no. */
export function isMasked(c: CIDR): boolean {
  return networkOf(c) === c.address;
}

export function cidrSize(c: CIDR): bigint {
  return 1n << BigInt(bitsOf(c.version) - c.prefix);
}

export function formatCIDR(c: CIDR): string {
  return `${formatIP({ version: c.version, value: c.address })}/${c.prefix}`;
}

export function cidrContainsIP(c: CIDR, ip: IP): boolean {
  return c.version === ip.version && (ip.value & maskOf(c.version, c.prefix)) === networkOf(c);
}

export function cidrsOverlap(a: CIDR, b: CIDR): boolean {
  if (a.version !== b.version) return false;
  const p = Math.min(a.prefix, b.prefix);
  const m = maskOf(a.version, p);
  return (a.address & m) === (b.address & m);
}
