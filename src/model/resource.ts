// The resource envelope shared by every kind, as stored and as shown.

export const API_VERSION = 'tortie.io/v1';
/** The apiVersion Calico's tools write; accepted unchanged, and used in stored values. */
export const CALICO_API_VERSION = 'projectcalico.org/v3';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The datastore revision of the stored object; filled on read, used by replace/delete for CAS. */
  resourceVersion?: string;
  uid?: string;
  creationTimestamp?: string;
}

export interface Resource<Spec = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: unknown;
}

/** `<namespace>/<name>` or `<name>`: how one resource is named in messages. */
export function refOf(r: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${r.kind} ${r.metadata.namespace ? `${r.metadata.namespace}/` : ''}${r.metadata.name}`;
}
