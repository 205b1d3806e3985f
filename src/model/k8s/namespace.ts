// Kubernetes `v1 Namespace` → Calico Profile `kns.<name>`, as Calico's NamespaceToProfile does
// (libcalico-go/lib/backend/k8s/conversion/conversion.go): allow-all ingress and egress rules, and
// the namespace's labels as labelsToApply under the `pcns.` prefix, plus
// `pcns.projectcalico.org/name: <name>`. The labels go into labelsToApply only, not onto the
// profile's own metadata. Endpoints in the namespace inherit them, which is what a rule's
// namespaceSelector matches.

import { z } from 'zod';
import { dnsLabelProblem, labelKeyProblem } from '../fields.js';
import { fromZod, show } from '../issues.js';
import { metaSchema } from '../meta.js';
import type { ForeignKind } from './foreign.js';

export const NAMESPACE_PROFILE_PREFIX = 'kns.';
export const NAMESPACE_LABEL_PREFIX = 'pcns.';
/** The label that matches a namespace by name in a namespaceSelector. */
export const NAMESPACE_NAME_LABEL = 'projectcalico.org/name';
/**
 * The label the Kubernetes API server sets on every namespace (since 1.21), overriding any value
 * given. Tortie reads manifests without an API server, so it sets the label itself: policies that
 * select namespaces with it, as the Kubernetes documentation suggests, then work as on a cluster.
 */
export const K8S_NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const namespaceDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: metaSchema(false),
  spec: z.strictObject({ finalizers: z.array(z.string()).optional() }).optional(),
  status: z.unknown().optional(),
}).superRefine((d, ctx) => {
  const meta: { name?: unknown; labels?: unknown } = typeof d.metadata === 'object' && d.metadata !== null ? d.metadata : {};
  if (typeof meta.name === 'string') {
    const p = dnsLabelProblem(meta.name);
    if (p) ctx.addIssue({ code: 'custom', path: ['metadata', 'name'], input: meta.name, message: p.replace('is not a valid name', 'is not a valid namespace name') });
  }
  // Each label becomes `pcns.<key>` in the profile, which must itself be a valid label key.
  const labels = typeof meta.labels === 'object' && meta.labels !== null ? Object.keys(meta.labels) : [];
  for (const k of labels) {
    if (labelKeyProblem(k) !== null) continue;
    const p = labelKeyProblem(NAMESPACE_LABEL_PREFIX + k);
    if (p) ctx.addIssue({ code: 'custom', path: ['metadata', 'labels', k], input: k, message: `becomes ${show(NAMESPACE_LABEL_PREFIX + k)} in the namespace's profile, which is too long for a label key` });
  }
}, { when: () => true });

export const K8S_NAMESPACE: ForeignKind = {
  apiVersion: 'v1',
  kind: 'Namespace',
  convert(doc) {
    const parsed = namespaceDoc.safeParse(doc, { reportInput: true });
    if (!parsed.success) return { ok: false, issues: fromZod(parsed.error.issues) };
    const { name, labels = {} } = parsed.data.metadata;
    const labelsToApply: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...labels, [K8S_NAMESPACE_NAME_LABEL]: name })) labelsToApply[NAMESPACE_LABEL_PREFIX + k] = v;
    labelsToApply[NAMESPACE_LABEL_PREFIX + NAMESPACE_NAME_LABEL] = name;
    return {
      ok: true,
      document: {
        kind: 'Profile',
        metadata: { name: NAMESPACE_PROFILE_PREFIX + name },
        spec: { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }], labelsToApply },
      },
    };
  },
};
