// The selectors Felix evaluates, built as libcalico-go's update processors build them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printSelector } from '../selector/index.js';
import { entitySelector, namespaceSelectorOf, policySelector, serviceAccountsOf } from './effective-selector.js';

const p = (s: ReturnType<typeof policySelector> | null): string | null => (s === null ? null : printSelector(s));

describe('effective selectors', () => {
  it('a NetworkPolicy is limited to its namespace', () => {
    assert.equal(p(policySelector({ namespace: 'x', selector: "app == 'web'" })), '(projectcalico.org/namespace == "x" && app == "web")');
  });

  it('a GlobalNetworkPolicy namespaceSelector is prefixed pcns. and all() becomes has(namespace)', () => {
    assert.equal(p(policySelector({ selector: 'all()', namespaceSelector: "team == 'a'" })), '(has(projectcalico.org/namespace) && pcns.team == "a")');
    // Calico replaces every all() in the combined text, the policy's own included.
    assert.equal(p(policySelector({ selector: 'all()', serviceAccountSelector: 'all()' })), '(has(projectcalico.org/serviceaccount) && has(projectcalico.org/serviceaccount))');
  });

  it('namespaceSelector all() and global()', () => {
    assert.equal(p(namespaceSelectorOf('all()')), 'has(projectcalico.org/namespace)');
    assert.equal(p(namespaceSelectorOf('global()')), '!has(projectcalico.org/namespace)');
    assert.equal(p(namespaceSelectorOf("ns in {'y', 'z'}")), 'pcns.ns in {"y", "z"}');
  });

  it('service accounts: names and a pcsa. selector, ANDed', () => {
    assert.equal(p(serviceAccountsOf({ names: ['b', 'a'], selector: "role == 'x'" })), '(pcsa.role == "x" && projectcalico.org/serviceaccount in {"a", "b"})');
  });

  it('an entity rule in a NetworkPolicy gains the namespace only when a selector field is used', () => {
    assert.equal(p(entitySelector({ nets: ['10.0.0.0/8'] }, 'x')), null);
    assert.equal(p(entitySelector({ selector: "a == 'b'" }, 'x')), '(projectcalico.org/namespace == "x" && a == "b")');
    assert.equal(p(entitySelector({ notSelector: "a == 'b'" }, 'x')), 'projectcalico.org/namespace == "x"');
    assert.equal(p(entitySelector({ namespaceSelector: 'all()' }, 'x')), 'has(projectcalico.org/namespace)');
    assert.equal(p(entitySelector({ selector: "a == 'b'" }, undefined)), 'a == "b"', 'in a global policy: no namespace part');
  });
});
