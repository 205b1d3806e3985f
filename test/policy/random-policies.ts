// Seeded random policy sets over a small world, for differential tests (evaluator vs kernel).
// Every generated document goes through the model's validation, so what is tested is what the
// datastore would hold.

import type { Resource } from '../../src/model/index.js';
import { valid } from '../support/policy-fixtures.js';
import { prng } from '../support/prng.js';


export interface World {
  readonly namespaces: readonly string[];
  /** "NS/POD" → IPv4 address. */
  readonly podIPs: ReadonlyMap<string, string>;
  readonly externalIP: string;
}

const SELECTORS = ["pod == 'a'", "pod == 'b'", "pod in {'a', 'b'}", 'has(pod)', "app == 'web'", "pod != 'a'", 'all()', '!has(app)', "app starts with 'w'", "role == 'ext'"];
const NS_SELECTORS = ["ns == 'x'", "ns in {'y', 'z'}", 'all()', 'global()', "ns != 'x'"];

export function randomPolicies(seed: number, world: World): Resource[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number): boolean => r() < p;
  const ips = [...world.podIPs.values()];
  const nets = (): string[] => [pick([...ips.map((ip) => `${ip}/32`), '10.0.1.0/24', '10.9.0.0/16', '10.0.0.0/16'])];

  function entity(ports: boolean, protocol: string | undefined): Record<string, unknown> {
    const e: Record<string, unknown> = {};
    const kind = r();
    if (kind < 0.25) e['selector'] = pick(SELECTORS);
    else if (kind < 0.35) e['notSelector'] = pick(SELECTORS);
    else if (kind < 0.5) { e['namespaceSelector'] = pick(NS_SELECTORS); if (chance(0.5)) e['selector'] = pick(SELECTORS); }
    else if (kind < 0.6) e['nets'] = nets();
    else if (kind < 0.68) e['notNets'] = nets();
    else if (kind < 0.73) e['serviceAccounts'] = { names: [pick(['sa1', 'sa2'])] };
    if (ports && (protocol === 'TCP' || protocol === 'UDP')) {
      const p = r();
      if (p < 0.2) e['ports'] = [80];
      else if (p < 0.35) e['ports'] = [81];
      else if (p < 0.45) e['ports'] = ['80:81'];
      else if (p < 0.55) e['ports'] = [`serve-${pick([80, 81])}-${protocol.toLowerCase()}`, 443];
      else if (p < 0.65) e['notPorts'] = [pick([80, 81])];
    }
    return e;
  }

  function rule(): Record<string, unknown> {
    const x: Record<string, unknown> = { action: pick(['Allow', 'Allow', 'Allow', 'Deny', 'Deny', 'Pass', 'Log']) };
    const protocol = pick([undefined, undefined, 'TCP', 'TCP', 'UDP', 'ICMP']);
    if (protocol) x['protocol'] = protocol;
    else if (chance(0.2)) x['notProtocol'] = pick(['TCP', 'UDP', 'ICMP']);
    if (protocol === 'ICMP') {
      if (chance(0.3)) x['icmp'] = { type: pick([8, 0]) };
      else if (chance(0.3)) x['notICMP'] = chance(0.5) ? { type: 0 } : { type: 8, code: pick([0, 1]) };
    }
    if (chance(0.1)) x['ipVersion'] = 4;
    const src = entity(false, protocol);
    const dst = entity(true, protocol);
    if (Object.keys(src).length > 0) x['source'] = src;
    if (Object.keys(dst).length > 0) x['destination'] = dst;
    return x;
  }

  const rules = (): Array<Record<string, unknown>> => Array.from({ length: Math.floor(r() * 3) + (chance(0.15) ? 0 : 1) }, rule);
  const out: Resource[] = [];
  const tierAction = chance(0.5) ? 'Pass' : 'Deny';
  let usesTier = false;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const kind = r();
    try {
      if (kind < 0.3) {
        out.push(valid(k8sPolicy(`k${i}`, pick(world.namespaces), r, world)));
        continue;
      }
      const spec: Record<string, unknown> = { selector: pick(SELECTORS), ingress: rules(), egress: rules() };
      const t = r();
      if (t < 0.3) spec['types'] = ['Ingress'];
      else if (t < 0.5) spec['types'] = ['Egress'];
      else if (t < 0.7) spec['types'] = ['Ingress', 'Egress'];
      if (chance(0.6)) spec['order'] = pick([10, 100, 500]);
      if (chance(0.25)) { spec['tier'] = 'sec'; usesTier = true; }
      if (kind < 0.65) {
        out.push(valid({ apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: `p${i}`, namespace: pick(world.namespaces) }, spec }));
      } else {
        if (chance(0.3)) spec['namespaceSelector'] = pick(NS_SELECTORS.filter((s) => s !== 'global()'));
        out.push(valid({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: `g${i}` }, spec }));
      }
    } catch (e) {
      throw new Error(`seed ${seed}: the generator made an invalid policy: ${(e as Error).message}`);
    }
  }
  if (usesTier) out.push(valid({ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'sec' }, spec: { order: 100, defaultAction: tierAction } }));
  return out;
}

function k8sPolicy(name: string, namespace: string, r: () => number, world: World): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const labelSel = (): Record<string, unknown> => (r() < 0.3 ? {} : { matchLabels: { pod: pick(['a', 'b']) } });
  const peer = (): Record<string, unknown> => {
    const k = r();
    if (k < 0.3) return { podSelector: labelSel() };
    if (k < 0.55) return { namespaceSelector: r() < 0.3 ? {} : { matchLabels: { ns: pick(world.namespaces) } } };
    if (k < 0.8) return { namespaceSelector: { matchLabels: { ns: pick(world.namespaces) } }, podSelector: labelSel() };
    return { ipBlock: { cidr: '10.0.0.0/16', except: [pick(['10.0.1.0/24', '10.0.0.0/24'])] } };
  };
  const ports = (): unknown[] | undefined => {
    const k = r();
    if (k < 0.4) return undefined;
    if (k < 0.6) return [{ protocol: pick(['TCP', 'UDP']), port: pick([80, 81]) }];
    if (k < 0.8) return [{ protocol: 'TCP', port: 80, endPort: 81 }];
    return [{ protocol: 'UDP', port: 'serve-80-udp' }];
  };
  const rule = (dir: 'from' | 'to'): Record<string, unknown> => {
    const x: Record<string, unknown> = {};
    if (r() < 0.8) x[dir] = Array.from({ length: 1 + Math.floor(r() * 2) }, peer);
    const p = ports();
    if (p) x['ports'] = p;
    return x;
  };
  const spec: Record<string, unknown> = { podSelector: labelSel() };
  const t = r();
  if (t < 0.4) spec['ingress'] = Array.from({ length: Math.floor(r() * 3) }, () => rule('from'));
  else if (t < 0.7) { spec['policyTypes'] = ['Egress']; spec['egress'] = Array.from({ length: Math.floor(r() * 3) }, () => rule('to')); }
  else {
    spec['policyTypes'] = ['Ingress', 'Egress'];
    spec['ingress'] = Array.from({ length: Math.floor(r() * 3) }, () => rule('from'));
    spec['egress'] = Array.from({ length: Math.floor(r() * 3) }, () => rule('to'));
  }
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}
