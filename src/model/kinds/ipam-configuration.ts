// IPAMConfiguration (calico.md §4; Calico's api/.../v3/ipamconfig.go, its CRD defaults, and the
// rules of libcalico-go/lib/ipam SetIPAMConfig): the one cluster-wide IPAM setting, named `default`.
// When it does not exist the IPAM behaves as its defaults say.

import { z } from 'zod';
import { show } from '../issues.js';
import { defineKind } from '../kind.js';

/** What `maxBlocksPerHost: 0` means: the IPAM's own per-host limit. */
export const DEFAULT_MAX_BLOCKS_PER_HOST = 20;

export const ipamConfigurationSpec = z.strictObject({
  /** No borrowing of addresses from other hosts' blocks. */
  strictAffinity: z.boolean().default(false),
  /** Claim new blocks for a host when its own are full. */
  autoAllocateBlocks: z.boolean().default(true),
  /** Blocks one host may own; 0 means DEFAULT_MAX_BLOCKS_PER_HOST. */
  maxBlocksPerHost: z.number().int().min(0).max(1_000_000).default(0),
  /** How long a released address rests before it is handed out again; unset means 0. */
  ipCooldownSeconds: z.number().int().min(0).max(1200).optional(),
  /** KubeVirt VMs keep their addresses across restarts and migration; unset means Enabled. */
  kubeVirtVMAddressPersistence: z.enum(['Enabled', 'Disabled']).optional(),
}).transform((s, ctx) => {
  // Both rules come from Calico's IPAM client (SetIPAMConfig), applied here to every write.
  if (!s.strictAffinity && !s.autoAllocateBlocks) {
    ctx.addIssue({
      code: 'custom', path: ['autoAllocateBlocks'], input: s.autoAllocateBlocks,
      message: 'cannot be false while strictAffinity is false: with neither, a host could get no addresses at all',
    });
  }
  if (s.maxBlocksPerHost > 0 && !s.strictAffinity) {
    ctx.addIssue({
      code: 'custom', path: ['maxBlocksPerHost'], input: s.maxBlocksPerHost,
      message: `${show(s.maxBlocksPerHost)} needs strictAffinity: true (the block limit would otherwise be bypassed by borrowing)`,
    });
  }
  return s;
});

export type IPAMConfigurationSpec = z.output<typeof ipamConfigurationSpec>;

export const IPAMConfiguration = defineKind({
  kind: 'IPAMConfiguration', plural: 'ipamconfigurations', shortNames: ['ipamconfig', 'ipamconfigs'], namespaced: false,
  spec: ipamConfigurationSpec,
  nameCheck: (name) => (name === 'default' ? null : `${show(name)} is not allowed: the IPAMConfiguration is named "default"`),
});
