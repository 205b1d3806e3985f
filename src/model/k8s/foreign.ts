// A Kubernetes kind that Tortie accepts in manifests and stores as a Calico kind, converting it as
// Calico does (calico.md §1): Namespace → Profile `kns.<name>`, NetworkPolicy → `knp.default.<name>`.

import type { Issue } from '../issues.js';

export interface ConvertedDocument {
  readonly kind: string;
  readonly metadata: Record<string, unknown>;
  readonly spec: Record<string, unknown>;
}

export interface ForeignKind {
  readonly apiVersion: string;
  readonly kind: string;
  /** Checks the Kubernetes object (issue paths are of that object) and converts it. */
  convert(doc: Readonly<Record<string, unknown>>): { ok: true; document: ConvertedDocument } | { ok: false; issues: Issue[] };
}
