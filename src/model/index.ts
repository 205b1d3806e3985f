export { API_VERSION, CALICO_API_VERSION, refOf, type Resource, type ObjectMeta } from './resource.js';
export type { KindDef } from './kind.js';
export { kindByName, kindByKind, allKinds } from './registry.js';
export { resourceKey, kindPrefix, parseResourceKey, RESOURCE_ROOT, agentStatusKey, endpointStatusKey } from './keys.js';
export { validateDocument, type Validated } from './validate.js';
export { formatIssue, type Issue } from './issues.js';
export { parseManifest, type SourcedDocument } from './manifest.js';
export * from './kinds/index.js';
export { K8S_POLICY_NAME_PREFIX } from './k8s/network-policy.js';
