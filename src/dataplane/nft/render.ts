// The policy IR as nftables text for one table (`inet tortie`). Pure: text out, no kernel.
//
// A full sync replaces the table in one `nft -f` transaction (create-if-absent, delete, define),
// so the kernel never sees half a ruleset and a stale table cannot survive. An element-only
// change becomes `add element` / `delete element` lines, also one transaction.

import type { IRChain, IRMap, IRRule, IRSet, IRVerdict, Match, RulesetDiff, Ruleset } from '../../policy/index.js';

export const TABLE = 'tortie';
const FAMILY = 'inet';

/** nft comments are at most 128 bytes and cannot hold a double quote. */
const comment = (s: string | undefined): string => {
  if (s === undefined || s === '') return '';
  let t = s.replaceAll('"', "'").replaceAll('\n', ' ');
  while (Buffer.byteLength(t) > 120) t = `${t.slice(0, -2)}…`;
  return ` comment "${t}"`;
};

const hex = (n: number): string => `0x${n.toString(16)}`;

function element(s: IRSet | { type: 'addr-port' | 'addr' | 'ifname' }, e: string): string {
  if (s.type === 'ifname') return `"${e}"`;
  if (s.type === 'addr-port') { const [ip, proto, port] = e.split(','); return `${ip} . ${proto} . ${port}`; }
  return e;
}

function setType(s: IRSet): string {
  if (s.type === 'ifname') return 'type ifname;';
  const addr = s.family === 6 ? 'ipv6_addr' : 'ipv4_addr';
  if (s.type === 'addr-port') return `type ${addr} . inet_proto . inet_service;`;
  return `type ${addr}; flags interval;`;
}

function renderSet(s: IRSet): string {
  const elems = s.elements.length > 0 ? ` elements = { ${s.elements.map((e) => element(s, e)).join(', ')} };` : '';
  return `  set ${s.name} { ${setType(s)}${elems}${comment(s.comment)}; }\n`;
}

function renderMap(m: IRMap): string {
  const elems = m.elements.size > 0 ? ` elements = { ${[...m.elements].map(([k, v]) => `"${k}" : goto ${v}`).join(', ')} };` : '';
  return `  map ${m.name} { type ifname : verdict;${elems}${comment(m.comment)}; }\n`;
}

const addr = (family: 4 | 6, side: 'src' | 'dst'): string => `${family === 6 ? 'ip6' : 'ip'} ${side === 'src' ? 'saddr' : 'daddr'}`;
const ne = (negate: boolean): string => (negate ? '!= ' : '');

function portList(ranges: ReadonlyArray<{ lo: number; hi: number }>): string {
  const items = ranges.map((r) => (r.lo === r.hi ? String(r.lo) : `${r.lo}-${r.hi}`));
  return items.length === 1 ? items[0]! : `{ ${items.join(', ')} }`;
}

export function renderMatch(m: Match): string {
  switch (m.kind) {
    case 'family': return `meta nfproto ${m.family === 6 ? 'ipv6' : 'ipv4'}`;
    case 'protocol': return `meta l4proto ${ne(m.negate)}${m.protocol}`;
    case 'icmp-type': return `${m.family === 6 ? 'icmpv6' : 'icmp'} type ${ne(m.negate)}${m.type}`;
    case 'icmp-code': return `${m.family === 6 ? 'icmpv6' : 'icmp'} code ${ne(m.negate)}${m.code}`;
    case 'addr-set': return `${addr(m.family, m.side)} ${ne(m.negate)}@${m.set}`;
    case 'ports': return `th ${m.side === 'src' ? 'sport' : 'dport'} ${ne(m.negate)}${portList(m.ranges)}`;
    case 'addr-port-set': return `${addr(m.family, m.side)} . meta l4proto . th ${m.side === 'src' ? 'sport' : 'dport'} ${ne(m.negate)}@${m.set}`;
    case 'iface-set': return `${m.dir === 'in' ? 'iifname' : 'oifname'} @${m.set}`;
    case 'iface-prefix': return `${m.dir === 'in' ? 'iifname' : 'oifname'} "${m.prefix}*"`;
    case 'mark': return `meta mark & ${hex(m.mask)} == ${hex(m.value)}`;
    case 'ct-state': return `ct state ${m.states.join(',')}`;
  }
}

function renderVerdict(v: IRVerdict): string {
  switch (v.kind) {
    case 'accept': case 'drop': case 'return': return v.kind;
    // icmpx: the family's own "administratively prohibited" (ICMP type 3 code 13, ICMPv6 type 1
    // code 1), as firewalld rejects; TCP callers see EHOSTUNREACH, which a missing listener never gives.
    case 'reject': return 'reject with icmpx type admin-prohibited';
    case 'jump': return `jump ${v.chain}`;
    case 'vmap': return `${v.dir === 'in' ? 'iifname' : 'oifname'} vmap @${v.map}`;
  }
}

/** Packet counts to carry into a rebuilt table, by `counterKey(chain, rule index)`. */
export type CarriedCounters = ReadonlyMap<string, { readonly packets: number; readonly bytes: number }>;
export const counterKey = (chain: string, index: number): string => `${chain}#${index}`;

export function renderRule(r: IRRule, carried?: { readonly packets: number; readonly bytes: number }): string {
  const parts = r.matches.map(renderMatch);
  if (r.mark) {
    const keep = (~r.mark.clear) >>> 0;
    parts.push(r.mark.clear === 0 ? `meta mark set meta mark | ${hex(r.mark.set)}`
      : r.mark.set === 0 ? `meta mark set meta mark & ${hex(keep)}`
      : `meta mark set meta mark & ${hex(keep)} | ${hex(r.mark.set)}`);
  }
  if (r.log !== undefined) parts.push(`log prefix "${r.log.replaceAll('"', "'")}: "`);
  if (r.counter) parts.push(carried ? `counter packets ${carried.packets} bytes ${carried.bytes}` : 'counter');
  if (r.verdict) parts.push(renderVerdict(r.verdict));
  return `${parts.join(' ')}${comment(r.comment)}`;
}

function renderChain(c: IRChain, carried?: CarriedCounters): string {
  const head = c.hook ? `    type filter hook ${c.hook} priority filter; policy accept;\n` : '';
  return `  chain ${c.name} {${comment(c.comment) ? `\n   ${comment(c.comment)}` : ''}\n${head}${c.rules.map((r, i) => `    ${renderRule(r, carried?.get(counterKey(c.name, i)))}\n`).join('')}  }\n`;
}

/** The whole table, replacing whatever was there, as one transaction; `carried` keeps rules' packet counts. */
export function renderRuleset(r: Ruleset, table = TABLE, carried?: CarriedCounters): string {
  return `table ${FAMILY} ${table} {}\ndelete table ${FAMILY} ${table}\ntable ${FAMILY} ${table} {\n${r.sets.map(renderSet).join('')}${r.maps.map(renderMap).join('')}${r.chains.map((c) => renderChain(c, carried)).join('')}}\n`;
}

/** Element changes only; null when the diff needs the whole table replaced (or nothing). */
export function renderDiff(d: RulesetDiff, r: Ruleset, table = TABLE): string | null {
  if (d.kind !== 'elements') return null;
  const types = new Map(r.sets.map((s) => [s.name, s] as const));
  const lines: string[] = [];
  // Removals first, so an element moving between values (a map key re-pointed) is never doubled.
  for (const m of d.maps) if (m.remove.length > 0) lines.push(`delete element ${FAMILY} ${table} ${m.map} { ${m.remove.map((k) => `"${k}"`).join(', ')} }`);
  for (const s of d.sets) if (s.remove.length > 0) lines.push(`delete element ${FAMILY} ${table} ${s.set} { ${s.remove.map((e) => element(types.get(s.set)!, e)).join(', ')} }`);
  for (const s of d.sets) if (s.add.length > 0) lines.push(`add element ${FAMILY} ${table} ${s.set} { ${s.add.map((e) => element(types.get(s.set)!, e)).join(', ')} }`);
  for (const m of d.maps) if (m.add.length > 0) lines.push(`add element ${FAMILY} ${table} ${m.map} { ${m.add.map(([k, v]) => `"${k}" : goto ${v}`).join(', ')} }`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
