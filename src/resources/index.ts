export { ResourceClient, MAX_BATCH, type WriteAction, type WriteResult, type ResourceRef, type ResourceClientOptions } from './resource-client.js';
export { loadPolicyResources } from './policy-resources.js';
