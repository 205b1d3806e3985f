// The selectors Felix actually evaluates, built from what a user wrote, as libcalico-go's update
// processors build them (syncersv1/updateprocessors/{rules,networkpolicyprocessor,
// globalnetworkpolicyprocessor}.go):
//
//   NetworkPolicy selector        (projectcalico.org/namespace == '<ns>') && (<selector>)
//   GNP with namespaceSelector    (<selector>) && (<namespaceSelector, labels prefixed pcns.>)
//   serviceAccountSelector        … && (<selector, labels prefixed pcsa.>)
//   a rule's entity               (<namespace part>) && (<serviceAccounts>) && (<selector>)
//
// In a namespace (or service-account) part `all()` means "any namespace" and becomes
// has(projectcalico.org/namespace); a namespaceSelector's `global()` means "no namespace" and
// becomes !has(projectcalico.org/namespace). Calico does this by string replacement over the whole
// combined policy selector, so an `all()` in a GNP's own selector also stops matching host
// endpoints once a namespaceSelector is given; the AST rewrite below reproduces that.

import { NAMESPACE_LABEL, parseSelector, type Selector } from '../selector/index.js';
import type { EntityRule } from '../model/index.js';

export const NAMESPACE_PREFIX = 'pcns.';
export const SERVICE_ACCOUNT_PREFIX = 'pcsa.';
export const SERVICE_ACCOUNT_LABEL = 'projectcalico.org/serviceaccount';
export const ORCHESTRATOR_LABEL = 'projectcalico.org/orchestrator';

const parsed = new Map<string, Selector>();
/** Parses (and memoises) a stored selector; an empty one is all(). */
export function sel(text: string | undefined): Selector {
  const t = text === undefined || text.trim() === '' ? 'all()' : text;
  let s = parsed.get(t);
  if (s === undefined) {
    s = parseSelector(t);
    if (parsed.size > 50_000) parsed.clear();
    parsed.set(t, s);
  }
  return s;
}

export const has = (label: string): Selector => ({ kind: 'has', label });
export const eq = (label: string, value: string): Selector => ({ kind: 'eq', label, value });
export const not = (operand: Selector): Selector => ({ kind: 'not', operand });

/** a && b, flattening nothing: Calico joins the parts with brackets, so the shape is kept. */
export function and(...parts: ReadonlyArray<Selector | null>): Selector | null {
  const p = parts.filter((x): x is Selector => x !== null);
  if (p.length === 0) return null;
  if (p.length === 1) return p[0]!;
  return { kind: 'and', operands: p as unknown as readonly [Selector, Selector, ...Selector[]] };
}

/** Every label in `s` gets `prefix` (Calico's parseSelectorAttachPrefix). */
export function prefixLabels(s: Selector, prefix: string): Selector {
  switch (s.kind) {
    case 'all': case 'global': return s;
    case 'not': return { kind: 'not', operand: prefixLabels(s.operand, prefix) };
    case 'and': case 'or': return { kind: s.kind, operands: s.operands.map((o) => prefixLabels(o, prefix)) as unknown as readonly [Selector, Selector, ...Selector[]] };
    default: return { ...s, label: prefix + s.label };
  }
}

/** Replaces all() and global() terms (Calico's strings.Replace over the rendered selector). */
export function replaceTerms(s: Selector, all: Selector | null, global: Selector | null): Selector {
  switch (s.kind) {
    case 'all': return all ?? s;
    case 'global': return global ?? s;
    case 'not': return { kind: 'not', operand: replaceTerms(s.operand, all, global) };
    case 'and': case 'or': return { kind: s.kind, operands: s.operands.map((o) => replaceTerms(o, all, global)) as unknown as readonly [Selector, Selector, ...Selector[]] };
    default: return s;
  }
}

const inNamespace = has(NAMESPACE_LABEL);
const notInNamespace = not(has(NAMESPACE_LABEL));

/** A namespaceSelector as a selector over endpoint labels. */
export function namespaceSelectorOf(text: string): Selector {
  return replaceTerms(prefixLabels(sel(text), NAMESPACE_PREFIX), inNamespace, notInNamespace);
}

/** A serviceAccounts match: names become `projectcalico.org/serviceaccount in {…}`, ANDed with the pcsa. selector. */
export function serviceAccountsOf(sa: { names?: readonly string[]; selector?: string } | undefined): Selector | null {
  if (sa === undefined) return null;
  const bySelector = sa.selector ? prefixLabels(sel(sa.selector), SERVICE_ACCOUNT_PREFIX) : null;
  const names = sa.names ?? [];
  const byName: Selector | null = names.length > 0 ? { kind: 'in', label: SERVICE_ACCOUNT_LABEL, values: [...new Set(names)].sort() } : null;
  return and(bySelector, byName);
}

export interface PolicyScope {
  /** The policy's namespace; undefined for a GlobalNetworkPolicy. */
  readonly namespace?: string;
  readonly selector: string;
  readonly namespaceSelector?: string;
  readonly serviceAccountSelector?: string;
}

/** The endpoints a policy applies to. */
export function policySelector(p: PolicyScope): Selector {
  let s: Selector = sel(p.selector);
  if (p.namespace !== undefined) s = and(eq(NAMESPACE_LABEL, p.namespace), s)!;
  if (p.namespaceSelector) {
    s = replaceTerms(and(s, prefixLabels(sel(p.namespaceSelector), NAMESPACE_PREFIX))!, inNamespace, notInNamespace);
  }
  if (p.serviceAccountSelector) {
    s = replaceTerms(and(s, prefixLabels(sel(p.serviceAccountSelector), SERVICE_ACCOUNT_PREFIX))!, has(SERVICE_ACCOUNT_LABEL), null);
  }
  return s;
}

/**
 * The positive selector of an entity rule (null: no selector constraint). The namespace part is
 * added as soon as any selector field is used, including notSelector alone; notSelector itself is
 * never namespaced (Calico's getEndpointSelector).
 */
export function entitySelector(e: EntityRule | undefined, namespace: string | undefined): Selector | null {
  if (e === undefined) return null;
  const ns = e.namespaceSelector ? namespaceSelectorOf(e.namespaceSelector)
    : namespace !== undefined ? eq(NAMESPACE_LABEL, namespace) : null;
  const selector = and(serviceAccountsOf(e.serviceAccounts), e.selector ? sel(e.selector) : null);
  if (ns !== null && (selector !== null || e.notSelector || e.namespaceSelector)) return and(ns, selector);
  return selector;
}
