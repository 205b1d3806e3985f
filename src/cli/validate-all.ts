// Validates every document of a write before anything is written, and reports all problems of all
// documents at once (STYLE.md: collect everything; write nothing when anything is wrong).

import { TortieError } from '../lib/errors.js';
import { K8S_POLICY_NAME_PREFIX, formatIssue, refOf, validateDocument, type Issue, type KindDef, type Resource, type SourcedDocument } from '../model/index.js';

export interface DocumentProblems {
  readonly source: string;
  /** `IPPool pool-a` when the document got as far as naming itself. */
  readonly ref?: string;
  readonly issues: readonly Issue[];
}

export interface ValidResource {
  readonly resource: Resource;
  readonly kind: KindDef;
  readonly source: string;
  readonly converted: boolean;
}

/** Kinds that only Tortie components write (calicoctl refuses them too). */
const READ_ONLY_KINDS = new Set(['ClusterInformation']);

function refGuess(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const d = doc as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof d.kind !== 'string' || typeof d.metadata?.name !== 'string') return undefined;
  return `${d.kind} ${typeof d.metadata.namespace === 'string' ? `${d.metadata.namespace}/` : ''}${d.metadata.name}`;
}

export function validateAll(docs: readonly SourcedDocument[], verb: 'write' | 'check' = 'write'): ValidResource[] {
  const valid: ValidResource[] = [];
  const problems: DocumentProblems[] = [];
  for (const { source, doc } of docs) {
    const v = validateDocument(doc);
    if (!v.ok) {
      const ref = refGuess(doc);
      problems.push({ source, ...(ref ? { ref } : {}), issues: v.issues });
      continue;
    }
    const extra: Issue[] = [];
    if (verb === 'write' && READ_ONLY_KINDS.has(v.kind.kind)) {
      extra.push({ path: 'kind', message: `${v.kind.kind} is maintained by Tortie itself and cannot be written by hand` });
    }
    if (!v.converted && v.kind.kind === 'NetworkPolicy' && v.resource.metadata.name.startsWith(K8S_POLICY_NAME_PREFIX)) {
      extra.push({ path: 'metadata.name', message: `names starting with "${K8S_POLICY_NAME_PREFIX}" are reserved for converted Kubernetes NetworkPolicies; apply the networking.k8s.io/v1 manifest instead` });
    }
    if (extra.length > 0) problems.push({ source, ref: refOf(v.resource), issues: extra });
    else valid.push({ resource: v.resource, kind: v.kind, source, converted: v.converted });
  }
  if (problems.length > 0) {
    const n = problems.reduce((a, p) => a + p.issues.length, 0);
    const lines = problems.flatMap((p) => [`${p.source}${p.ref ? ` (${p.ref})` : ''}:`, ...p.issues.map((i) => `  ${formatIssue(i)}`)]);
    throw new TortieError('TORTIE_ERR_MANIFEST_INVALID',
      `${n} problem${n === 1 ? '' : 's'} in ${problems.length} of ${docs.length} document${docs.length === 1 ? '' : 's'}${verb === 'write' ? '; nothing was written' : ''}:\n${lines.join('\n')}`,
      { problems });
  }
  return valid;
}
