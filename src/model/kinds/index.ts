// Every Calico-style kind Tortie stores. Kubernetes kinds that convert into these are in ../k8s.

import type { KindDef } from '../kind.js';
import { IPPool } from './ip-pool.js';

export const KINDS: readonly KindDef[] = [
  IPPool,
] as KindDef[];

export { IPPool, type IPPoolSpec, ENCAP_MODES, type EncapMode } from './ip-pool.js';
