// Kubernetes `networking.k8s.io/v1 NetworkPolicy` → Calico NetworkPolicy `knp.default.<name>` in the
// same namespace, tier default, order 1000, as Calico's K8sNetworkPolicyToCalico, k8sSelectorToCalico,
// k8sRuleToCalico and SimplifyPorts do (libcalico-go/lib/backend/k8s/conversion/conversion.go).
//
//   podSelector ──▶ selector    "projectcalico.org/orchestrator == 'k8s' && <labels, sorted> && <expressions>"
//   each k8s rule ─▶ one Calico rule per (protocol × peer); a protocol's ports merged into ranges
//   policyTypes ──▶ types       (defaulted first as the Kubernetes API server does)
//
// The Kubernetes object is checked as the API server would (ValidateNetworkPolicy), with paths into
// it, so nothing reaches the conversion that Calico would drop with a conversion error or turn into
// a broader rule (a CIDR it cannot parse becomes a rule without nets there).

import { z } from 'zod';
import { cidrContainsIP, formatCIDR, networkOf, parseCIDR } from '../../lib/ip.js';
import { intIn, labelKeyProblem, labels, labelValueProblem, listOf, onObject } from '../fields.js';
import { fromZod, show, type Issue } from '../issues.js';
import { metaSchema } from '../meta.js';
import { canonicalPort, MAX_PORTS, MAX_RULES, type EntityRule, type Port, type Rule } from '../kinds/rule.js';
import type { ForeignKind } from './foreign.js';

export const K8S_POLICY_NAME_PREFIX = 'knp.default.';
/** Calico places every converted policy at this order in the default tier. */
export const K8S_POLICY_ORDER = 1000;
const ORCHESTRATOR_K8S = "projectcalico.org/orchestrator == 'k8s'";

const always = { when: () => true } as const;
type Path = Array<string | number>;
const issueAt = (ctx: z.RefinementCtx, path: Path, input: unknown, message: string): void => {
  ctx.addIssue({ code: 'custom', path, input, message });
};
const list = <T>(v: readonly T[] | null | undefined): readonly T[] => (Array.isArray(v) ? v : []);

// ---- The Kubernetes object, checked ----

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
const expression = z.strictObject({
  key: z.string(),
  operator: z.enum(OPERATORS),
  values: z.array(z.string()).nullish(),
}).superRefine(onObject((e, ctx) => {
  const p = typeof e['key'] === 'string' ? labelKeyProblem(e['key']) : null;
  if (p) issueAt(ctx, ['key'], e['key'], p);
  const values: unknown[] = Array.isArray(e['values']) ? e['values'] : [];
  values.forEach((v, i) => { const q = typeof v === 'string' ? labelValueProblem(v) : null; if (q) issueAt(ctx, ['values', i], v, q); });
  const op = e['operator'];
  if ((op === 'In' || op === 'NotIn') && values.length === 0) issueAt(ctx, ['values'], e['values'], `must list at least one value for operator ${op}`);
  if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) issueAt(ctx, ['values'], e['values'], `must be empty for operator ${op}`);
}), always);

const labelSelector = z.strictObject({
  matchLabels: labels().nullish(),
  matchExpressions: z.array(expression).nullish(),
});
type LabelSelector = z.output<typeof labelSelector>;

const ipBlock = z.strictObject({
  cidr: z.string(),
  except: z.array(z.string()).nullish(),
}).superRefine(onObject((b, ctx) => {
  const cidr = b['cidr'];
  const c = typeof cidr === 'string' ? parseCIDR(cidr) : null;
  if (typeof cidr === 'string' && c === null) issueAt(ctx, ['cidr'], cidr, `${show(cidr)} is not a valid CIDR`);
  (Array.isArray(b['except']) ? b['except'] as unknown[] : []).forEach((e, i) => {
    const x = typeof e === 'string' ? parseCIDR(e) : null;
    if (x === null) issueAt(ctx, ['except', i], e, `${show(e)} is not a valid CIDR`);
    else if (c !== null && (x.prefix <= c.prefix || !cidrContainsIP(c, { version: x.version, value: x.address }))) {
      issueAt(ctx, ['except', i], e, `${show(e)} is not a strict subset of cidr ${show(cidr)}`);
    }
  });
}), always);

const peer = z.strictObject({
  podSelector: labelSelector.nullish(),
  namespaceSelector: labelSelector.nullish(),
  ipBlock: ipBlock.nullish(),
}).superRefine(onObject((p, ctx) => {
  const selectors = p['podSelector'] != null || p['namespaceSelector'] != null;
  if (p['ipBlock'] != null && selectors) issueAt(ctx, ['ipBlock'], p['ipBlock'], 'cannot be combined with podSelector or namespaceSelector in one peer');
  if (p['ipBlock'] == null && !selectors) issueAt(ctx, [], p, 'needs podSelector, namespaceSelector or ipBlock');
}), always);
type Peer = z.output<typeof peer>;

// Kubernetes IsValidPortName (an IANA service name).
const isPortName = (s: string): boolean => s.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes('--');

const policyPort = z.strictObject({
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).nullish(),
  port: z.unknown().optional(),
  endPort: intIn(1, 65535).nullish(),
}).superRefine(onObject((p, ctx) => {
  const v = p['port'];
  const endPort = p['endPort'];
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1 || v > 65535) issueAt(ctx, ['port'], v, `${show(v)} is not a port number (1–65535)`);
  } else if (typeof v === 'string') {
    if (!isPortName(v)) issueAt(ctx, ['port'], v, `${show(v)} is not a port name: at most 15 lower-case letters, digits and '-', with at least one letter (or write the number without quotes)`);
  } else if (v !== undefined && v !== null) {
    issueAt(ctx, ['port'], v, `expected a port number or a port name, got ${show(v)}`);
  }
  if (endPort != null) {
    if (v === undefined || v === null) issueAt(ctx, ['endPort'], endPort, 'needs port: endPort ends the range that port starts');
    else if (typeof v === 'string') issueAt(ctx, ['endPort'], endPort, `cannot be used with the named port ${show(v)}`);
    else if (typeof v === 'number' && typeof endPort === 'number' && endPort < v) issueAt(ctx, ['endPort'], endPort, `${endPort} is below port ${v}`);
  }
}), always);
type PolicyPort = z.output<typeof policyPort>;

const ingressRule = z.strictObject({ from: z.array(peer).nullish(), ports: z.array(policyPort).nullish() });
const egressRule = z.strictObject({ to: z.array(peer).nullish(), ports: z.array(policyPort).nullish() });

const networkPolicyDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: metaSchema(true),
  spec: z.strictObject({
    podSelector: labelSelector.nullish(),
    policyTypes: listOf(z.enum(['Ingress', 'Egress']), 2).nullish(),
    ingress: z.array(ingressRule).nullish(),
    egress: z.array(egressRule).nullish(),
  }).optional(),
  status: z.unknown().optional(),
});

// ---- The conversion ----

/** Calico's k8sSelectorToCalico: a pod selector is limited to Kubernetes pods; an empty namespace selector means all(). */
export function k8sSelectorToCalico(s: LabelSelector | null | undefined, type: 'pod' | 'namespace'): string {
  const parts = type === 'pod' ? [ORCHESTRATOR_K8S] : [];
  if (s == null) return parts.join(' && ');
  const matchLabels = s.matchLabels ?? {};
  const expressions = list(s.matchExpressions);
  if (type === 'namespace' && Object.keys(matchLabels).length === 0 && expressions.length === 0) return 'all()';
  for (const k of Object.keys(matchLabels).sort()) parts.push(`${k} == '${matchLabels[k]}'`);
  for (const e of expressions) {
    const values = list(e.values).join("', '");
    switch (e.operator) {
      case 'In': parts.push(`${e.key} in { '${values}' }`); break;
      case 'NotIn': parts.push(`${e.key} not in { '${values}' }`); break;
      case 'Exists': parts.push(`has(${e.key})`); break;
      case 'DoesNotExist': parts.push(`! has(${e.key})`); break;
    }
  }
  return parts.join(' && ');
}

/** The peer's part of an EntityRule: an ipBlock's nets (as networks), or pod and namespace selectors. */
function peerFields(p: Peer | null): EntityRule {
  if (p === null) return {};
  if (p.ipBlock != null) {
    const net = (s: string): string => { const c = parseCIDR(s)!; return formatCIDR({ ...c, address: networkOf(c) }); };
    const out: EntityRule = { nets: [net(p.ipBlock.cidr)] };
    const except = list(p.ipBlock.except);
    if (except.length > 0) out.notNets = except.map(net);
    return out;
  }
  const out: EntityRule = { selector: k8sSelectorToCalico(p.podSelector, 'pod') };
  const ns = k8sSelectorToCalico(p.namespaceSelector, 'namespace');
  if (ns !== '') out.namespaceSelector = ns;
  return out;
}

const rangeOf = (p: string): [number, number] | null => {
  const m = /^(\d+)(?::(\d+))?$/.exec(p);
  return m ? [Number(m[1]), Number(m[2] ?? m[1])] : null;
};

/** Calico's SimplifyPorts: named ports first, then the numbers merged into the fewest ranges. */
export function simplifyPorts(ports: readonly Port[]): Port[] {
  if (ports.length <= 1) return [...ports];
  const named: Port[] = [];
  const numbers: number[] = [];
  for (const p of ports) {
    const range: [number, number] | null = typeof p === 'number' ? [p, p] : rangeOf(p);
    if (range === null) { named.push(p); continue; }
    for (let i = range[0]; i <= range[1]; i++) numbers.push(i);
  }
  if (numbers.length <= 1) return [...ports];
  numbers.sort((a, b) => a - b);
  const out = named;
  for (let i = 0; i < numbers.length;) {
    const first = numbers[i]!;
    let last = first;
    while (i + 1 < numbers.length && numbers[i + 1]! <= last + 1) last = numbers[++i]!;
    i++;
    out.push(canonicalPort(`${first}:${last}`));
  }
  return out;
}

/** A k8s rule's ports by protocol, sorted; null ports mean all ports, the '' protocol means any. */
function portsByProtocol(ports: readonly PolicyPort[]): Array<[protocol: string, ports: Port[] | null]> {
  if (ports.length === 0) return [['', null]];
  const by = new Map<string, Port[] | null>();
  for (const p of ports) {
    const protocol = p.protocol ?? 'TCP'; // NetworkPolicyPort's default
    if (p.port === undefined || p.port === null) { by.set(protocol, null); continue; }
    const port = typeof p.port === 'number' && p.endPort != null ? canonicalPort(`${p.port}:${p.endPort}`) : p.port as Port;
    const have = by.get(protocol);
    if (have === null) continue; // all ports already
    by.set(protocol, [...(have ?? []), port]);
  }
  return [...by.keys()].sort().map((k) => [k, by.get(k) ?? null]);
}

const compact = (e: EntityRule): EntityRule | undefined => {
  const out = Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)));
  return Object.keys(out).length > 0 ? out as EntityRule : undefined;
};

/** Calico's k8sRuleToCalico: one Allow rule per protocol × peer. */
function convertRule(peers: readonly Peer[], ports: readonly PolicyPort[], ingress: boolean): Rule[] {
  const rules: Rule[] = [];
  for (const [protocol, protocolPorts] of portsByProtocol(ports)) {
    const dstPorts: EntityRule = protocolPorts === null ? {} : { ports: simplifyPorts(protocolPorts) };
    for (const p of peers.length > 0 ? peers : [null]) {
      const r: Rule = { action: 'Allow' };
      if (protocol !== '') r.protocol = protocol as Rule['protocol'];
      const source = ingress ? compact(peerFields(p)) : undefined;
      const destination = compact(ingress ? dstPorts : { ...dstPorts, ...peerFields(p) });
      if (source) r.source = source;
      if (destination) r.destination = destination;
      rules.push(r);
    }
  }
  return rules;
}

export const K8S_NETWORK_POLICY: ForeignKind = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  convert(doc) {
    const parsed = networkPolicyDoc.safeParse(doc, { reportInput: true });
    if (!parsed.success) return { ok: false, issues: fromZod(parsed.error.issues) };
    const { metadata } = parsed.data;
    const spec = parsed.data.spec ?? {};
    const issues: Issue[] = [];
    if (K8S_POLICY_NAME_PREFIX.length + metadata.name.length > 253) {
      issues.push({ path: 'metadata.name', message: `is ${metadata.name.length} characters long; the stored policy "${K8S_POLICY_NAME_PREFIX}<name>" allows at most ${253 - K8S_POLICY_NAME_PREFIX.length}` });
    }
    const convertAll = (dir: 'ingress' | 'egress', k8sRules: ReadonlyArray<{ ports?: PolicyPort[] | null; peers: readonly Peer[] }>): Rule[] => k8sRules.flatMap((r, i) => {
      const ports = list(r.ports);
      for (const [protocol, ps] of portsByProtocol(ports)) {
        const n = ps === null ? 0 : simplifyPorts(ps).length;
        if (n > MAX_PORTS) issues.push({ path: `spec.${dir}[${i}].ports`, message: `has ${n} ${protocol} ports or ranges after merging; a Calico rule matches at most ${MAX_PORTS}` });
      }
      return convertRule(r.peers, ports, dir === 'ingress');
    });
    const ingress = convertAll('ingress', list(spec.ingress).map((r) => ({ ports: r.ports, peers: list(r.from) })));
    const egress = convertAll('egress', list(spec.egress).map((r) => ({ ports: r.ports, peers: list(r.to) })));
    for (const [dir, rules] of [['ingress', ingress], ['egress', egress]] as const) {
      if (rules.length > MAX_RULES) issues.push({ path: `spec.${dir}`, message: `converts to ${rules.length} Calico rules (one per peer and protocol); a policy holds at most ${MAX_RULES}` });
    }
    if (issues.length > 0) return { ok: false, issues };

    // The API server's defaulting (SetDefaults_NetworkPolicy): no policyTypes means Ingress, plus
    // Egress when there are egress rules. Calico then keeps that order, Ingress first.
    const given = list(spec.policyTypes);
    const policyTypes = given.length > 0 ? given : ['Ingress', ...(list(spec.egress).length > 0 ? ['Egress'] : [])];
    const types = (['Ingress', 'Egress'] as const).filter((t) => policyTypes.includes(t));
    return {
      ok: true,
      document: {
        kind: 'NetworkPolicy',
        metadata: { name: K8S_POLICY_NAME_PREFIX + metadata.name, namespace: metadata.namespace },
        spec: { order: K8S_POLICY_ORDER, selector: k8sSelectorToCalico(spec.podSelector ?? {}, 'pod'), types, ingress, egress },
      },
    };
  },
};
