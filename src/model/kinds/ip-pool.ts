// IPPool (calico.md §1): a range pod addresses come from, cut into blocks of `blockSize`.

import { z } from 'zod';
import { parseCIDR, cidrsOverlap } from '../../lib/ip.js';
import { cidr, selector } from '../fields.js';
import { defineKind } from '../kind.js';

export const ENCAP_MODES = ['Never', 'Always', 'CrossSubnet'] as const;
export type EncapMode = (typeof ENCAP_MODES)[number];
export const POOL_USES = ['Workload', 'Tunnel', 'LoadBalancer'] as const;

const LINK_LOCAL_V4 = parseCIDR('169.254.0.0/16')!;
const LINK_LOCAL_V6 = parseCIDR('fe80::/10')!;

// Calico stores an empty mode as Never; both spellings are accepted.
const encapMode = () => z.enum([...ENCAP_MODES, '']).default('Never').transform((m): EncapMode => (m === '' ? 'Never' : m));

const fields = z.strictObject({
  cidr: cidr({ masked: true }),
  blockSize: z.number().optional(), // range and integrality in crossCheck (zod's .int() would hide other problems)
  ipipMode: encapMode(),
  vxlanMode: encapMode(),
  natOutgoing: z.boolean().default(false),
  disabled: z.boolean().default(false),
  disableBGPExport: z.boolean().default(false),
  nodeSelector: selector().default('all()'),
  namespaceSelector: selector().optional(),
  allowedUses: z.array(z.enum(POOL_USES)).optional(),
  assignmentMode: z.enum(['Automatic', 'Manual']).default('Automatic'),
});

// Cross-field rules. They run even when a field above failed (`when`), so a document's problems are
// all reported at once; each rule therefore checks the types it relies on.
function crossCheck(s: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string): void => { ctx.addIssue({ code: 'custom', path: [path], message, input: s[path] }); };
  const c = typeof s['cidr'] === 'string' ? parseCIDR(s['cidr']) : null;
  const ipip = typeof s['ipipMode'] === 'string' && s['ipipMode'] !== '' ? s['ipipMode'] : 'Never';
  const vxlan = typeof s['vxlanMode'] === 'string' && s['vxlanMode'] !== '' ? s['vxlanMode'] : 'Never';
  const v6 = c?.version === 6;
  const bs = s['blockSize'];
  if (typeof bs === 'number' && !Number.isInteger(bs)) {
    issue('blockSize', `${bs} is not a whole number`);
  } else if (typeof bs === 'number') {
    const inRange = (v: 4 | 6): boolean => (v === 6 ? bs >= 116 && bs <= 128 : bs >= 20 && bs <= 32);
    if (c ? !inRange(c.version) : !inRange(4) && !inRange(6)) {
      const [lo, hi] = v6 ? [116, 128] : [20, 32];
      issue('blockSize', `${bs} is out of range: a block size is ${c ? `${lo}–${hi} for IPv${v6 ? 6 : 4}` : '20–32 for IPv4, 116–128 for IPv6'}`);
    } else if (c && c.prefix > bs && s['disabled'] !== true) {
      issue('blockSize', `${bs} is larger than the pool: the pool prefix /${c.prefix} must be at most the block size (or the pool disabled)`);
    }
  } else if (c && c.prefix > (v6 ? 122 : 26) && s['disabled'] !== true && bs === undefined) {
    issue('blockSize', `the default block size /${v6 ? 122 : 26} is larger than the pool /${c.prefix}: set blockSize to at least ${c.prefix}`);
  }
  if (c && cidrsOverlap(c, v6 ? LINK_LOCAL_V6 : LINK_LOCAL_V4)) {
    issue('cidr', `"${String(s['cidr'])}" overlaps the link-local range ${v6 ? 'fe80::/10' : '169.254.0.0/16'}`);
  }
  if (v6 && ipip !== 'Never') issue('ipipMode', 'IPIP is not supported on an IPv6 pool');
  if (ipip !== 'Never' && vxlan !== 'Never') issue('vxlanMode', `cannot be ${String(vxlan)} while ipipMode is ${String(ipip)}: a pool uses at most one encapsulation`);
  const nodeSelector = typeof s['nodeSelector'] === 'string' ? s['nodeSelector'] : 'all()';
  if (/\bglobal\(\)/.test(nodeSelector)) issue('nodeSelector', 'global() is not allowed in a node selector');
  const uses = Array.isArray(s['allowedUses']) ? s['allowedUses'] : [];
  if (uses.includes('LoadBalancer')) {
    if (uses.length > 1) issue('allowedUses', 'LoadBalancer cannot be combined with Workload or Tunnel');
    if (ipip !== 'Never' || vxlan !== 'Never') issue('allowedUses', 'a LoadBalancer pool cannot use IPIP or VXLAN');
    if (nodeSelector.trim() !== 'all()') issue('nodeSelector', 'must be all() for a LoadBalancer pool');
  }
}

export const ipPoolSpec = fields
  .superRefine((s, ctx) => crossCheck(s as Record<string, unknown>, ctx), { when: () => true })
  .transform((s) => {
    const v6 = parseCIDR(s.cidr)?.version === 6;
    const out = {
      ...s,
      blockSize: s.blockSize ?? (v6 ? 122 : 26),
      allowedUses: s.allowedUses && s.allowedUses.length > 0 ? [...s.allowedUses] : ['Workload', 'Tunnel'] as Array<(typeof POOL_USES)[number]>,
    };
    if (out.namespaceSelector === undefined) delete out.namespaceSelector;
    return out;
  });

export type IPPoolSpec = z.output<typeof ipPoolSpec>;

export const IPPool = defineKind({
  kind: 'IPPool', plural: 'ippools', shortNames: ['ipp', 'pool', 'pools'], namespaced: false,
  spec: ipPoolSpec, hasStatus: true,
});
