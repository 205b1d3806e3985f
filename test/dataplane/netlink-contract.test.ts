// Runs the Netlink contract against the fake kernel and, as root, against iproute2 in scratch
// network namespaces (one per case, removed after it).

import { fakeEnv, kernelEnv } from './contract-env.js';
import { netlinkContract } from './netlink-contract.js';
import { isRoot } from '../support/scratch-netns.js';

netlinkContract('FakeNetlink', fakeEnv);
netlinkContract('Iproute2Netlink in a network namespace', kernelEnv, { skip: isRoot ? false : 'needs root' });
