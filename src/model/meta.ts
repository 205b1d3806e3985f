// metadata: the fields Tortie stores, checked the way Calico (and Kubernetes) check them.

import { z } from 'zod';
import { dnsSubdomain, labels } from './fields.js';

const annotations = () => z.record(z.string(), z.string());

// Fields of Kubernetes ObjectMeta that tools put in manifests but Tortie neither stores nor needs.
const IGNORED = ['generation', 'managedFields', 'selfLink', 'finalizers', 'ownerReferences', 'generateName', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

const buildMetaSchema = (namespaced: boolean) => z.strictObject({
  name: dnsSubdomain(),
  namespace: namespaced
    ? dnsSubdomain().max(63).default('default')
    : z.string().refine((s) => s === '', { error: 'must not be set: this kind is not namespaced' }).optional(),
  labels: labels().optional(),
  annotations: annotations().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  creationTimestamp: z.string().optional(),
  ...Object.fromEntries(IGNORED.map((f) => [f, z.unknown().optional()])),
}).transform((m) => {
  const out: Record<string, unknown> = { name: m.name };
  if (namespaced) out['namespace'] = m.namespace;
  if (m.labels && Object.keys(m.labels).length > 0) out['labels'] = m.labels;
  if (m.annotations && Object.keys(m.annotations).length > 0) out['annotations'] = m.annotations;
  if (m.resourceVersion) out['resourceVersion'] = m.resourceVersion;
  if (m.uid) out['uid'] = m.uid;
  if (m.creationTimestamp) out['creationTimestamp'] = m.creationTimestamp;
  return out as { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string; uid?: string; creationTimestamp?: string };
});

// Built once per flavour: a zod schema is immutable, and building one costs more than most
// validations it performs (a manifest of many documents validates each one's metadata).
const META = { namespaced: buildMetaSchema(true), cluster: buildMetaSchema(false) };
export const metaSchema = (namespaced: boolean): ReturnType<typeof buildMetaSchema> => (namespaced ? META.namespaced : META.cluster);
