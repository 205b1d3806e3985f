import type { ForeignKind } from './foreign.js';
import { K8S_NAMESPACE } from './namespace.js';
import { K8S_NETWORK_POLICY } from './network-policy.js';

export type { ForeignKind, ConvertedDocument } from './foreign.js';
export {
  K8S_NAMESPACE, NAMESPACE_PROFILE_PREFIX, NAMESPACE_LABEL_PREFIX, NAMESPACE_NAME_LABEL, K8S_NAMESPACE_NAME_LABEL,
} from './namespace.js';
export { K8S_NETWORK_POLICY, K8S_POLICY_NAME_PREFIX, K8S_POLICY_ORDER, k8sSelectorToCalico, simplifyPorts } from './network-policy.js';

export const FOREIGN_KINDS: readonly ForeignKind[] = [K8S_NAMESPACE, K8S_NETWORK_POLICY];
