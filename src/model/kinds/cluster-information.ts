// ClusterInformation (Calico's api/.../v3/clusterinfo.go): facts about the cluster that Tortie
// itself writes, named `default`. The CNI plugin refuses to set up pods while `datastoreReady` is
// false (calico.md §5).

import { z } from 'zod';
import { show } from '../issues.js';
import { defineKind } from '../kind.js';

export const clusterInformationSpec = z.strictObject({
  clusterGUID: z.string().optional(),
  clusterType: z.string().optional(),
  calicoVersion: z.string().optional(),
  datastoreReady: z.boolean().optional(),
  variant: z.string().optional(),
});

export type ClusterInformationSpec = z.output<typeof clusterInformationSpec>;

export const ClusterInformation = defineKind({
  kind: 'ClusterInformation', plural: 'clusterinformations', shortNames: ['clusterinfo', 'clusterinfos'], namespaced: false,
  spec: clusterInformationSpec,
  nameCheck: (name) => (name === 'default' ? null : `${show(name)} is not allowed: the ClusterInformation is named "default"`),
});
