// One document in, either a resource in its stored form (Calico's defaults filled in, Kubernetes
// kinds converted) or every problem found in it, each with its path.

import { fromZod, show, type Issue } from './issues.js';
import { FOREIGN_KINDS } from './k8s/index.js';
import type { KindDef } from './kind.js';
import { metaSchema } from './meta.js';
import { kindByKind, allKinds } from './registry.js';
import { API_VERSION, CALICO_API_VERSION, type Resource } from './resource.js';

export type Validated =
  /** `converted`: the document was a Kubernetes object, stored as the Calico kind it converts to. */
  | { readonly ok: true; readonly resource: Resource; readonly kind: KindDef; readonly converted: boolean }
  | { readonly ok: false; readonly issues: readonly Issue[] };

const TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a Calico-shaped document ({kind, metadata, spec}) against its kind. */
function validateCalico(kind: KindDef, doc: Readonly<Record<string, unknown>>, issues: Issue[]): Resource | null {
  const start = issues.length;
  const meta = metaSchema(kind.namespaced).safeParse(doc['metadata'] ?? {}, { reportInput: true });
  if (!meta.success) issues.push(...fromZod(meta.error.issues, ['metadata']));
  if (doc['metadata'] === undefined) issues.push({ path: 'metadata', message: 'is required (with at least a name)' });
  if (meta.success && kind.nameCheck) {
    const p = kind.nameCheck(meta.data.name);
    if (p) issues.push({ path: 'metadata.name', message: p });
  }
  const rawSpec = doc['spec'] ?? {};
  if (!isObject(rawSpec)) {
    issues.push({ path: 'spec', message: `expected an object, got ${show(rawSpec)}` });
    return null;
  }
  const spec = kind.spec.safeParse(rawSpec, { reportInput: true });
  if (!spec.success) issues.push(...fromZod(spec.error.issues, ['spec']));
  let specData: unknown = spec.success ? spec.data : undefined;
  if (meta.success && spec.success && kind.finish) {
    const finished = kind.finish(meta.data, spec.data);
    issues.push(...finished.issues);
    specData = finished.spec;
  }
  if (issues.length > start || !meta.success || !spec.success) return null;
  return { apiVersion: CALICO_API_VERSION, kind: kind.kind, metadata: meta.data, spec: specData as Record<string, unknown> };
}

export function validateDocument(doc: unknown): Validated {
  const issues: Issue[] = [];
  if (!isObject(doc)) {
    return { ok: false, issues: [{ path: '', message: `a document must be an object with apiVersion, kind, metadata and spec, not ${show(doc)}` }] };
  }
  const apiVersion = doc['apiVersion'];
  const kindName = doc['kind'];
  if (typeof apiVersion !== 'string') issues.push({ path: 'apiVersion', message: apiVersion === undefined ? 'is required' : `expected a string, got ${show(apiVersion)}` });
  if (typeof kindName !== 'string') issues.push({ path: 'kind', message: kindName === undefined ? 'is required' : `expected a string, got ${show(kindName)}` });
  if (issues.length > 0) return { ok: false, issues };

  const foreign = FOREIGN_KINDS.find((f) => f.apiVersion === apiVersion && f.kind === kindName);
  if (foreign) {
    const converted = foreign.convert(doc);
    if (!converted.ok) return { ok: false, issues: converted.issues };
    const kind = kindByKind(converted.document.kind)!;
    const resource = validateCalico(kind, { ...converted.document }, issues);
    return resource ? { ok: true, resource, kind, converted: true } : { ok: false, issues };
  }

  if (apiVersion !== API_VERSION && apiVersion !== CALICO_API_VERSION) {
    const known = [API_VERSION, CALICO_API_VERSION, ...FOREIGN_KINDS.map((f) => `${f.apiVersion} (${f.kind})`)];
    return { ok: false, issues: [{ path: 'apiVersion', message: `${show(apiVersion)} is not supported; use one of: ${known.join(', ')}` }] };
  }
  const kind = kindByKind(kindName as string);
  if (!kind) {
    const names = allKinds().map((k) => k.kind).join(', ');
    return { ok: false, issues: [{ path: 'kind', message: `${show(kindName)} is not a kind of ${apiVersion}; known kinds: ${names}` }] };
  }
  for (const k of Object.keys(doc)) if (!TOP_LEVEL.has(k)) issues.push({ path: k, message: 'unknown field' });
  const resource = validateCalico(kind, doc, issues);
  return resource && issues.length === 0 ? { ok: true, resource, kind, converted: false } : { ok: false, issues };
}
