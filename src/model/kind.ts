// What the model knows about one kind of resource: its names (for the CLI and the etcd key), its
// scope, and the schema that validates a spec and fills in Calico's defaults.

import type { z } from 'zod';
import type { Issue } from './issues.js';

export interface KindDef<Spec = unknown> {
  /** The kind as written in manifests: 'IPPool'. */
  readonly kind: string;
  /** calicoctl's plural, also the etcd key segment: 'ippools'. */
  readonly plural: string;
  /** Extra lower-case names the CLI accepts besides kind and plural: ['ipp', 'pool']. */
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  /** Validates a spec and returns it with defaults filled in. */
  readonly spec: z.ZodType<Spec, unknown>;
  /** True when Tortie components write a `status` (users' `status` is ignored on write). */
  readonly hasStatus?: boolean;
  /** Checks of the name beyond the DNS-subdomain rule (e.g. BGPConfiguration `default`/`node.*`). */
  readonly nameCheck?: (name: string) => string | null;
  /**
   * Rules and defaults that need the name as well as the (valid) spec: BGPConfiguration's `default`
   * versus `node.<name>`, a WorkloadEndpoint name made from its spec. Issue paths start at the
   * document root (`metadata.name`, `spec.asNumber`). A method, so kinds stay assignable to KindDef.
   */
  finish?(meta: { readonly name: string; readonly namespace?: string }, spec: Spec): { readonly spec: Spec; readonly issues: readonly Issue[] };
}

export const defineKind = <Spec>(def: KindDef<Spec>): KindDef<Spec> => def;
