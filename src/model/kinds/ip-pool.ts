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

export const ipPoolSpec = z.strictObject({
  cidr: cidr({ masked: true }),
  blockSize: z.number().int().optional(),
  ipipMode: encapMode(),
  vxlanMode: encapMode(),
  natOutgoing: z.boolean().default(false),
  disabled: z.boolean().default(false),
  disableBGPExport: z.boolean().default(false),
  nodeSelector: selector().default('all()'),
  namespaceSelector: selector().optional(),
  allowedUses: z.array(z.enum(POOL_USES)).optional(),
  assignmentMode: z.enum(['Automatic', 'Manual']).default('Automatic'),
}).transform((s, ctx) => {
  const c = parseCIDR(s.cidr);
  const v6 = c?.version === 6;
  const blockSize = s.blockSize ?? (v6 ? 122 : 26);
  const allowedUses: Array<(typeof POOL_USES)[number]> = s.allowedUses && s.allowedUses.length > 0 ? s.allowedUses : ['Workload', 'Tunnel'];
  const issue = (path: string, message: string): void => { ctx.addIssue({ code: 'custom', path: [path], message, input: s }); };
  if (c) {
    const [lo, hi] = v6 ? [116, 128] : [20, 32];
    if (blockSize < lo || blockSize > hi) issue('blockSize', `${blockSize} is out of range: an IPv${v6 ? 6 : 4} block size is ${lo}–${hi}`);
    else if (c.prefix > blockSize && !s.disabled) {
      issue('blockSize', `${blockSize} is larger than the pool: the pool prefix /${c.prefix} must be at most the block size (or the pool disabled)`);
    }
    if (cidrsOverlap(c, v6 ? LINK_LOCAL_V6 : LINK_LOCAL_V4)) {
      issue('cidr', `"${s.cidr}" overlaps the link-local range ${v6 ? 'fe80::/10' : '169.254.0.0/16'}`);
    }
    if (v6 && s.ipipMode !== 'Never') issue('ipipMode', 'IPIP is not supported on an IPv6 pool');
  }
  if (s.ipipMode !== 'Never' && s.vxlanMode !== 'Never') {
    issue('vxlanMode', `cannot be ${s.vxlanMode} while ipipMode is ${s.ipipMode}: a pool uses at most one encapsulation`);
  }
  if (/\bglobal\(\)/.test(s.nodeSelector)) issue('nodeSelector', 'global() is not allowed in a node selector');
  if (allowedUses.includes('LoadBalancer')) {
    if (allowedUses.length > 1) issue('allowedUses', 'LoadBalancer cannot be combined with Workload or Tunnel');
    if (s.ipipMode !== 'Never' || s.vxlanMode !== 'Never') issue('allowedUses', 'a LoadBalancer pool cannot use IPIP or VXLAN');
    if (s.nodeSelector.trim() !== 'all()') issue('nodeSelector', 'must be all() for a LoadBalancer pool');
  }
  const out = { ...s, blockSize, allowedUses: [...allowedUses] };
  if (out.namespaceSelector === undefined) delete out.namespaceSelector;
  return out;
});

export type IPPoolSpec = z.output<typeof ipPoolSpec>;

export const IPPool = defineKind({
  kind: 'IPPool', plural: 'ippools', shortNames: ['ipp', 'pool', 'pools'], namespaced: false,
  spec: ipPoolSpec, hasStatus: true,
});
