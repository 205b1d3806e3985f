// Fuzzing the manifest path of `tortie apply|create|replace|delete|validate -f -`:
//
//   text ─ readManifests(stdin) ─ validateAll ─┬─ (every input: 100,000 by default)
//                                              └─ ResourceClient.apply|create|replace|delete ─ MemoryStore   (1 in WRITE_EVERY)
//                                                   └ on success: get → `get -o yaml|json` → parse → validate
//                                                     → the same resource → apply → `unchanged`
//   text file ─ run([verb, '-f', file, '--store-path', …]) ─ SqliteStore in a temp dir           (1 in CLI_EVERY)
//
// All 100,000 inputs cannot take the whole path within CI's minute: yaml parses about a kilobyte a
// millisecond on a 2-core CI machine, a document validates in ~0.4 ms (half of it building the
// metadata schema anew, validate.ts), and a round trip costs several of both. So every input is
// parsed and validated, one in WRITE_EVERY (20,000) is also written and read back, and one in
// CLI_EVERY (250) goes through `run(argv)` — the CLI as `tortie` runs it, output captured.
//
// Inputs, each from its own PRNG stream (seed, index), so any one can be regenerated:
// - valid manifests of every kind (examples/ and the samples of the kinds' tests below), mutated as
//   objects (values swapped for edge values — huge, negative zero, unicode, wrong types —, keys
//   dropped, renamed or added, kinds exchanged, deep nesting) and written as YAML or JSON, one
//   document or a stream (rarely past the 128-object write limit);
// - the same texts mutated as bytes (bit flips, truncation, duplication, splicing, tokens, lines);
// - YAML specials: alias bombs, self-referencing and unresolved aliases, merge keys, tags
//   (!!binary, !!set, !!timestamp…), deep nesting, long scalars, BOMs and CRLF; random bytes and
//   token soup. Inputs that are not written start from the smaller seeds.
//
// Every input must end in a success or a TortieError with a registered code a manifest can cause
// (never INTERNAL_BUG), a message that is not empty and holds no stack trace, "[object Object]" or
// "undefined" (unless the input does); an error writes nothing (same revision and KVs; every 100th
// written input compared in full); a success reads back equal, its `get -o yaml|json` form validates
// to the same resource and applies back `unchanged` (README's promise; not for converted Kubernetes
// policies, whose knp.* names are reserved); `tortie` exits 0 or 1 with `Error [CODE]: message` and
// nothing else on stderr, the store unchanged on 1; nothing prints behind the CLI's back.
//
// The loop runs in WORKERS worker threads with a 1 MB stack (as the CLI's main thread) and a heap
// limit, so that a hang (no progress for HANG_MS), a stack overflow or a memory blow-up is caught
// and its input reported instead of stalling CI. Inputs that once failed are kept in fuzz-corpus/
// and replayed first, through every verb and the CLI. TORTIE_FUZZ_SEED and TORTIE_FUZZ_RUNS choose
// the run (the seed is printed); TORTIE_FUZZ_SAVE=dir writes failing inputs there (to add to the corpus).

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { stringify } from 'yaml';
import { MemoryStore } from '../datastore/memory/index.js';
import { SqliteStore } from '../datastore/sqlite/index.js';
import type { KV, Store } from '../datastore/ports.js';
import { ERRORS, isTortieError, type ErrorCode } from '../lib/errors.js';
import { K8S_POLICY_NAME_PREFIX, kindByKind, parseManifest, validateDocument, type Resource } from '../model/index.js';
import { ResourceClient, type WriteResult } from '../resources/index.js';
import { prng } from '../../test/support/prng.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { run } from './main.js';
import { documentOf, renderDocument } from './print.js';
import { readManifests } from './read-manifests.js';
import { reportError } from './report-error.js';
import { validateAll } from './validate-all.js';

const SEED = Number(process.env['TORTIE_FUZZ_SEED'] ?? 0x70e1);
const RUNS = Number(process.env['TORTIE_FUZZ_RUNS'] ?? 100_000);
/** Both cores of a CI machine: the inputs are split between this many worker threads. */
const WORKERS = Math.max(1, Number(process.env['TORTIE_FUZZ_WORKERS'] ?? 2));
/** Every input is parsed and validated (readManifests, validateAll); one in WRITE_EVERY is also written and read back. */
const WRITE_EVERY = 5;
const CLI_EVERY = 400;
const FULL_COMPARE_EVERY = 100;
const RESET_EVERY = 400;
const HANG_MS = 60_000; // the slowest input seen took 11 s, on a machine with a load of 100
const REPO = new URL('../../../', import.meta.url);
const CORPUS_DIR = new URL('src/cli/fuzz-corpus/', REPO);

/** Codes a manifest may cause; anything else (INTERNAL_BUG above all) is a defect. */
const EXPECTED_CODES = new Set<ErrorCode>([
  'TORTIE_ERR_MANIFEST_PARSE', 'TORTIE_ERR_MANIFEST_INVALID', 'TORTIE_ERR_CLI_USAGE',
  'TORTIE_ERR_DATASTORE_NOT_FOUND', 'TORTIE_ERR_DATASTORE_ALREADY_EXISTS', 'TORTIE_ERR_DATASTORE_CONFLICT',
]);

type Verb = 'apply' | 'create' | 'replace' | 'delete' | 'validate';
interface Case {
  readonly text: string;
  readonly verb: Verb;
  readonly skip: boolean;
  /** Through validation and the store too, not only the parser. */
  readonly write: boolean;
  /** Also through `run(argv)` on SQLite. */
  readonly cli: boolean;
  readonly format: 'yaml' | 'json';
  readonly label: string;
}

// ---------------------------------------------------------------- seeds

const md = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, ...extra });
const calico = (kind: string, metadata: Record<string, unknown>, spec?: unknown): Record<string, unknown> => ({
  apiVersion: 'projectcalico.org/v3', kind, metadata, ...(spec === undefined ? {} : { spec }),
});
const RULE = {
  action: 'Allow', ipVersion: 4, protocol: 'TCP',
  source: {
    nets: ['10.1.2.3', '10.0.0.0/8'], notNets: ['10.9.0.0/16'], selector: "app == 'web'", namespaceSelector: "team == 'a'",
    notPorts: [22], serviceAccounts: { names: ['api'], selector: "role == 'x'" },
  },
  destination: { ports: ['80', '8080:8080', '1000:2000', 'http'], notSelector: 'has(debug)' },
  http: { methods: ['GET', 'HEAD'], paths: [{ exact: '/health' }, { prefix: '/api/' }] },
  metadata: { annotations: { 'example.com/why': 'web tier' } },
};

/** One valid object of every kind (the samples of the kinds' own tests). */
const SEED_DOCS: ReadonlyArray<Record<string, unknown>> = [
  calico('IPPool', md('pool-a'), { cidr: '10.44.0.0/16', blockSize: 26, ipipMode: 'Never', vxlanMode: 'Always', natOutgoing: true, nodeSelector: 'all()', allowedUses: ['Workload', 'Tunnel'] }),
  calico('IPPool', md('pool-v6', { labels: { family: 'v6' } }), { cidr: 'fd00:10::/64', blockSize: 122, disabled: false, namespaceSelector: "team == 'a'" }),
  calico('GlobalNetworkPolicy', md('allow-tcp-port-6379'), {
    tier: 'default', order: 10, selector: "role == 'database'", types: ['Ingress', 'Egress'],
    ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "role == 'frontend'" }, destination: { ports: [6379] } }],
    egress: [{ action: 'Allow' }], doNotTrack: false, preDNAT: false, applyOnForward: false,
  }),
  calico('GlobalNetworkPolicy', md('pre-dnat'), {
    order: 10, selector: 'has(host-endpoint)', namespaceSelector: "env == 'prod'", types: ['Ingress'],
    ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: ['30000:32767'] } }], preDNAT: true, applyOnForward: true,
  }),
  calico('NetworkPolicy', md('allow-tcp-6379', { namespace: 'production' }), {
    selector: "role == 'database'", types: ['Ingress', 'Egress'], ingress: [RULE, { action: 'Deny', ipVersion: 6, protocol: 58, source: { nets: ['FD00:0:0::/64'] } }], egress: [{ action: 'Allow' }],
  }),
  calico('NetworkPolicy', md('security.pass-all'), { tier: 'security', order: 100.5, serviceAccountSelector: "role == 'api'", performanceHints: ['AssumeNeededOnEveryNode'], ingress: [{ action: 'Pass' }] }),
  calico('BGPPeer', md('rack1-tor'), {
    nodeSelector: "rack == 'rack-1'", peerIP: '[fd00::1]:1790', asNumber: 65001, localASNumber: 65002,
    nextHopMode: 'Self', password: { secretKeyRef: { name: 'bgp-secrets', key: 'rr-password' } },
    sourceAddress: 'None', maxRestartTime: '15s', keepaliveTime: '10s', numAllowedLocalASNumbers: 1,
    ttlSecurity: 1, reachableBy: 'fd00::fe', filters: ['export-only-pools'], reversePeering: 'Manual',
  }),
  calico('BGPPeer', md('peer-1'), { node: 'rack1-host1', peerIP: '192.168.1.1', asNumber: '1.10' }),
  calico('BGPConfiguration', md('default'), {
    logSeverityScreen: 'Info', nodeToNodeMeshEnabled: true, nodeMeshMaxRestartTime: '120s', asNumber: 63400,
    serviceClusterIPs: [{ cidr: '10.96.0.0/12' }], serviceExternalIPs: [{ cidr: '104.244.42.129/32' }, { cidr: '172.217.3.0/24' }],
    listenPort: 178, bindMode: 'NodeIP', communities: [{ name: 'bgp-large-community', value: '63400:300:100' }],
    prefixAdvertisements: [{ cidr: '172.218.4.0/26', communities: ['bgp-large-community', '63400:120'] }],
  }),
  calico('BGPConfiguration', md('node.rack1-host1'), { logSeverityScreen: 'debug', listenPort: 1790, prefixAdvertisements: [{ cidr: '10.0.0.0/24', communities: ['65001:100'] }] }),
  calico('FelixConfiguration', md('default'), {
    ipv6Support: false, ipipMTU: 1400, chainInsertMode: 'Append', bpfLogLevel: 'Debug', vxlanEnabled: true, vxlanVNI: 4096,
    vxlanPort: 4789, routeRefreshInterval: '90s', reportingInterval: '0s', healthPort: 9099, prometheusMetricsEnabled: true,
    prometheusMetricsPort: 9091, failsafeInboundHostPorts: [{ protocol: 'TCP', port: 22 }, { protocol: 'UDP', port: 68, net: '10.0.0.0/8' }],
    failsafeOutboundHostPorts: [], kubeNodePortRanges: ['30000:32767', 8080], natPortRange: '32768:65535', natOutgoingAddress: '10.0.0.100',
    iptablesMarkMask: 0xffff0000, routeTableRanges: [{ min: 1, max: 250 }], programClusterRoutes: 'EnabledIPIPOnly', nftablesMode: 'Enabled',
  }),
  calico('FelixConfiguration', md('node.worker-1'), { defaultEndpointToHostAction: 'ACCEPT', chainInsertMode: 'insert', logSeverityScreen: 'warning', iptablesBackend: 'nft' }),
  calico('Profile', md('dev-apps'), {
    ingress: [{ action: 'Deny', source: { nets: ['10.0.20.0/24'] } }, { action: 'Allow', source: { selector: "stage == 'development'" } }],
    egress: [{ action: 'Allow' }], labelsToApply: { stage: 'development' },
  }),
  calico('Tier', md('security'), { order: 100, defaultAction: 'Pass' }),
  calico('Tier', md('default')),
  calico('NetworkSet', md('external-database', { namespace: 'staging', labels: { role: 'db' } }), { nets: ['198.51.100.0/28', '203.0.113.0/24', '192.168.1.1', 'FD00::1'] }),
  calico('GlobalNetworkSet', md('a-name-for-the-set', { labels: { role: 'external-database' } }), { nets: ['198.51.100.0/28', '10.0.0.1'] }),
  calico('HostEndpoint', md('some.name', { labels: { type: 'production' } }), {
    interfaceName: 'eth0', node: 'myhost', expectedIPs: ['192.168.0.1', '192.168.0.2'], profiles: ['profile1', 'profile2'],
    ports: [{ name: 'some-port', port: 1234, protocol: 'TCP' }, { name: 'another-port', port: 5432, protocol: 'udp' }],
  }),
  calico('WorkloadEndpoint', md('node1-k8s-my--nginx--b1337a-eth0', { namespace: 'default' }), {
    node: 'node1', orchestrator: 'k8s', containerID: '1337495556942031415926535', pod: 'my-nginx-b1337a', endpoint: 'eth0',
    serviceAccountName: 'default', interfaceName: 'cali0ef24ba', mac: 'ca:fe:1d:52:bb:e9', ipNetworks: ['192.168.0.0/32', 'fd00:10:244::1/128'],
    ipNATs: [{ internalIP: '192.168.0.0', externalIP: '172.16.0.1' }], ipv4Gateway: '169.254.1.1', profiles: ['kns.default', 'ksa.default.default'],
    ports: [{ name: 'some-port', port: 1234, protocol: 'TCP' }, { name: 'another-port', port: 5432, protocol: 'UDP', hostPort: 15432, hostIP: '10.0.0.5' }, { port: 8080, protocol: 'TCP', hostPort: 80 }],
    allowSpoofedSourcePrefixes: ['10.50.0.0/16'],
  }),
  calico('Node', md('node-hostname'), {
    bgp: { asNumber: 64512, ipv4Address: '10.244.0.1/24', ipv6Address: '2001:db8:85a3::8a2e:370:7334/120', ipv4IPIPTunnelAddr: '192.168.0.1', routeReflectorClusterID: '224.0.0.1' },
    ipv4VXLANTunnelAddr: '192.168.0.65', vxlanTunnelMACAddr: '66:3c:12:a0:01:02', orchRefs: [{ nodeName: 'node-hostname', orchestrator: 'k8s' }],
    wireguard: { interfaceIPv4Address: '192.168.0.130' }, addresses: [{ address: '10.244.0.1/24', type: 'CalicoNodeIP' }, { address: '10.244.0.1', type: 'InternalIP' }],
  }),
  calico('IPAMConfiguration', md('default'), { strictAffinity: true, autoAllocateBlocks: true, maxBlocksPerHost: 4 }),
  calico('ClusterInformation', md('default'), { calicoVersion: 'v3.28.0', clusterGUID: '0a6f1b4c5e7d4f0c9b2d8e3f6a1c7b90', datastoreReady: true }),
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'production', labels: { team: 'payments', 'example.com/tier': 'gold' }, uid: '0f3c', resourceVersion: '7' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
  {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'test-network-policy', namespace: 'default' },
    spec: {
      podSelector: { matchLabels: { role: 'db' } }, policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }, { namespaceSelector: { matchLabels: { project: 'myproject' } } }, { podSelector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['frontend'] }] } }], ports: [{ protocol: 'TCP', port: 6379 }] }],
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978, endPort: 6000 }, { port: 'dns' }] }],
    },
  },
];

/** The seeds as text: examples/ as written, and every seed document in yaml's YAML and in JSON. */
function seedTexts(): string[] {
  const dir = new URL('examples/', REPO);
  const examples = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => readFileSync(new URL(f, dir), 'utf8'));
  return [...examples, ...SEED_DOCS.map((d) => stringify(d, { lineWidth: 0 })), ...SEED_DOCS.map((d) => JSON.stringify(d, null, 2))];
}

// ---------------------------------------------------------------- generators

interface Rand {
  (): number;
  int(n: number): number;
  pick<T>(a: readonly T[]): T;
  chance(p: number): boolean;
}

function rand(seed: number, i: number): Rand {
  const r = prng((Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(i + 1, 0x85ebca6b)) >>> 0);
  const f = (() => r()) as Rand;
  f.int = (n) => Math.floor(r() * n);
  f.pick = (a) => a[Math.floor(r() * a.length)]!;
  f.chance = (p) => r() < p;
  return f;
}

const WEIRD_STRINGS = [
  '', ' ', 'a', 'A', '-', '.', '..', 'x.', 'default', 'all()', '!', "has(x) && x == 'y'", 'global()', "a in {'x'}", '!has(a) || b != "c"',
  '10.0.0.0/8', '10.0.0.1', '::', '::1', 'fd00::/64', '0.0.0.0/0', '255.255.255.255/33', '1.2.3', '01.2.3.4', '10.0.0.1/24', '[fd00::1]:179', '10.0.0.1:0',
  'Allow', 'Deny', 'Pass', 'Log', 'TCP', 'udp', 'ICMPv6', 'sctp', '80', '1:65535', '65536', '0:0', '9:1', 'http', 'dns', '90s', '1h30m', '0', '-1', '1.10', '65535.65536',
  'true', 'null', '~', 'node.x', 'node.', 'knp.default.x', 'kns.x', 'k8s', 'cni', 'Never', 'Always', 'CrossSubnet', 'Ingress', 'Egress', 'Workload', 'LoadBalancer',
  'projectcalico.org/v3', 'tortie.io/v1', 'v1', 'networking.k8s.io/v1', 'List', 'IPPoolList', '__proto__', 'constructor', 'toString', 'hasOwnProperty',
  'undefined', '[object Object]', 'NaN', 'é', 'ß', 'İ', '\u212a', '\u0000', '\u202e', '\ufeff', '🐈', 'a\u0301', 'a\nb', '\t', '\\', '"', "'", '${x}', '%s', '{{x}}',
  'ee:ee:ee:ee:ee:ee', 'aabb.ccdd.eeff', 'eth0', '*', 'cali0ef24ba', 'a'.repeat(15), 'a'.repeat(16), 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(253), 'a'.repeat(254),
  'a'.repeat(1025), '1'.repeat(400), `${'('.repeat(300)}a == 'b'${')'.repeat(300)}`, `${'!'.repeat(1000)}has(a)`, `${'a.'.repeat(120)}a`, 'a-'.repeat(40) + 'a',
];
const WEIRD_NUMBERS = [0, -0, 1, -1, 0.5, 1.5, 2, 20, 26, 32, 116, 122, 128, 255, 256, 1000, 65535, 65536, 4294967295, 4294967296, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e21, 1e308, -1e308, 5e-324, 1e-7];
const KEYS = new Set<string>();
const collectKeys = (v: unknown): void => {
  if (Array.isArray(v)) v.forEach(collectKeys);
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) { KEYS.add(k); collectKeys(x); }
};
SEED_DOCS.forEach(collectKeys);
const KEY_LIST = [...KEYS, '__proto__', 'constructor', '', ' ', 'a.b', 'x', 'Spec', 'kind', 'items', '√', '0'];

function weirdValue(r: Rand, depth = 0): unknown {
  switch (r.int(depth > 2 ? 6 : 9)) {
    case 0: case 1: case 2: return r.pick(WEIRD_STRINGS);
    case 3: case 4: return r.pick(WEIRD_NUMBERS);
    case 5: return r.pick([null, true, false]);
    case 6: return Array.from({ length: r.int(4) }, () => weirdValue(r, depth + 1));
    case 7: { const o: Record<string, unknown> = {}; for (let i = r.int(3); i > 0; i--) setKey(o, r.pick(KEY_LIST), weirdValue(r, depth + 1)); return o; }
    default: return clone(r.pick(SEED_DOCS.map((d) => d['spec'])) ?? {});
  }
}

/** Assigns an own property, also for `__proto__` (plain assignment would set the prototype). */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** A deep copy of plain data (keeps -0 and own `__proto__` keys; much cheaper than structuredClone). */
function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (typeof v !== 'object' || v === null) return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) setKey(o, k, clone(x));
  return o as T;
}

/** A random container inside `v` (objects and arrays), with a way to change one of its slots. */
function randomSlot(r: Rand, root: Record<string, unknown>): { holder: Record<string, unknown> | unknown[]; key: string | number } | null {
  let holder: Record<string, unknown> | unknown[] = root;
  for (let depth = 0; depth < 8; depth++) {
    const keys: Array<string | number> = Array.isArray(holder) ? holder.map((_, i) => i) : Object.keys(holder);
    if (keys.length === 0) return null;
    const key = r.pick(keys);
    const child: unknown = Array.isArray(holder) ? holder[key as number] : holder[key as string];
    if (typeof child === 'object' && child !== null && r.chance(0.65)) { holder = child as Record<string, unknown> | unknown[]; continue; }
    return { holder, key };
  }
  return null;
}

function mutateString(r: Rand, s: string): string {
  switch (r.int(7)) {
    case 0: return s.toUpperCase();
    case 1: return s + r.pick(WEIRD_STRINGS);
    case 2: return s.slice(0, r.int(s.length + 1));
    case 3: { const i = r.int(s.length + 1); return s.slice(0, i) + String.fromCodePoint(r.pick([0, 0x20, 0x2e, 0x2f, 0x3a, 0x41, 0x5f, 0x7f, 0xe9, 0x130, 0x200b, 0xfeff, 0x1f408, 0x10ffff])) + s.slice(i); }
    case 4: return s.repeat(2 + r.int(3));
    case 5: return ` ${s} `;
    default: return s.split('').reverse().join('');
  }
}

function mutateObject(r: Rand, doc: Record<string, unknown>): void {
  const slot = randomSlot(r, doc);
  if (!slot) return;
  const { holder, key } = slot;
  const get = (): unknown => (Array.isArray(holder) ? holder[key as number] : holder[key as string]);
  const set = (v: unknown): void => { if (Array.isArray(holder)) holder[key as number] = v; else setKey(holder, key as string, v); };
  switch (r.int(12)) {
    case 0: case 1: set(weirdValue(r)); break;
    case 2: if (Array.isArray(holder)) holder.splice(key as number, 1); else delete holder[key as string]; break;
    case 3: if (!Array.isArray(holder)) { const v = get(); delete holder[key as string]; setKey(holder, r.pick(KEY_LIST), v); } break;
    case 4: if (!Array.isArray(holder)) setKey(holder, r.pick(KEY_LIST), weirdValue(r)); else holder.push(weirdValue(r)); break;
    case 5: { const v = get(); if (typeof v === 'string') set(mutateString(r, v)); else if (typeof v === 'number') set(r.pick([v + 1, v - 1, -v, v * 65536, v + 0.5, String(v)])); else set([v]); break; }
    case 6: if (Array.isArray(holder)) { const n = r.chance(0.03) ? 130 : 2 + r.int(4); for (let i = 0; i < n; i++) holder.push(clone(holder[key as number])); } else set([get(), get()]); break;
    case 7: { const v = get(); set(typeof v === 'object' && v !== null ? Object.values(v) : { value: v }); break; }
    case 8: { let v: unknown = get(); for (let i = r.chance(0.9) ? r.pick([5, 20, 60]) : 300; i > 0; i--) v = r.chance(0.5) ? [v] : { a: v }; set(v); break; }
    case 9: set(r.pick([null, {}, [], '', 0, true])); break;
    case 10: { // two values swap places (as copies: a shared value put inside itself would make a cycle)
      const other = randomSlot(r, doc);
      if (other) { const v = clone(get()); set(clone(Array.isArray(other.holder) ? other.holder[other.key as number] : other.holder[other.key as string])); if (!Array.isArray(other.holder)) setKey(other.holder, other.key as string, v); }
      break;
    }
    default: { const v = get(); if (typeof v === 'string') set(r.pick(WEIRD_STRINGS)); else set(r.pick(WEIRD_NUMBERS)); }
  }
}

const KIND_NAMES = [...new Set(SEED_DOCS.map((d) => String(d['kind'])))];

function mutatedDoc(r: Rand, rounds: number, seeds: readonly Record<string, unknown>[]): Record<string, unknown> {
  const doc = clone(r.pick(seeds));
  const meta = doc['metadata'] as Record<string, unknown>;
  // A few names per kind, so that creates, replaces and deletes meet existing objects and absent ones.
  if (r.chance(0.4) && typeof meta['name'] === 'string' && !/^(default|node\.)/.test(meta['name'])) meta['name'] = `${meta['name']}${r.pick(['-b', '-c', '.d'])}`;
  if (r.chance(0.05)) doc['kind'] = r.pick(KIND_NAMES);
  if (r.chance(0.05)) doc['apiVersion'] = r.pick(['projectcalico.org/v3', 'tortie.io/v1', 'v1', 'networking.k8s.io/v1', 'projectcalico.org/v2', '']);
  if (r.chance(0.05)) meta['resourceVersion'] = r.pick(['1', '2', '999999', '0', '-1', 'x', '99999999999999999999999', '1e3']);
  for (let i = 0; i < rounds; i++) mutateObject(r, doc);
  return doc;
}

const PLAIN = /^[A-Za-z_/][A-Za-z0-9 ._/()!=&|'-]*$/;
const YAML_WORDS = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

/** A block-style YAML emitter for plain data, much cheaper than yaml's stringify (which is kept for the seeds). */
function fastYaml(v: unknown, indent = ''): string {
  const scalar = (x: unknown): string => {
    if (typeof x === 'string') return PLAIN.test(x) && !YAML_WORDS.test(x) && !/[ :#]$|: | #/.test(x) ? x : JSON.stringify(x);
    if (typeof x === 'number') return Number.isNaN(x) ? '.nan' : x === Infinity ? '.inf' : x === -Infinity ? '-.inf' : Object.is(x, -0) ? '-0' : String(x);
    return x === undefined ? 'null' : JSON.stringify(x);
  };
  const key = (k: string): string => (PLAIN.test(k) && !YAML_WORDS.test(k) && !/[ :#]/.test(k) ? k : JSON.stringify(k));
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return v.map((x) => `\n${indent}- ${typeof x === 'object' && x !== null && Object.keys(x).length > 0 ? fastYaml(x, `${indent}  `).replace(/^\n\s*/, '') : scalar(x)}`).join('');
  }
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v);
    if (entries.length === 0) return '{}';
    return entries.map(([k, x]) => `\n${indent}${key(k)}:${typeof x === 'object' && x !== null && Object.keys(x).length > 0 ? fastYaml(x, `${indent}  `) : ` ${scalar(x)}`}`).join('');
  }
  return scalar(v);
}

/** Whether `v` nests deeper than `limit` (stops looking there). */
function deeper(v: unknown, limit: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (limit === 0) return true;
  return Object.values(v).some((x) => deeper(x, limit - 1));
}

function toYaml(doc: unknown, r: Rand): string {
  if (r.chance(0.9)) {
    // Deep values are written in flow style: block style's indentation grows with the square of the depth.
    if (deeper(doc, 40)) return `${JSON.stringify(doc)}\n`;
    const t = fastYaml(doc);
    return t.length < 30_000 ? `${t.replace(/^\n/, '')}\n` : `${JSON.stringify(doc)}\n`;
  }
  try {
    return stringify(doc, { lineWidth: 0, ...(r.chance(0.3) ? { collectionStyle: 'flow' as const } : {}), aliasDuplicateObjects: r.chance(0.5) });
  } catch {
    return JSON.stringify(doc) ?? 'null';
  }
}

function serialize(r: Rand, docs: readonly unknown[]): string {
  if (r.chance(0.4)) {
    const compact = docs.length === 1 ? JSON.stringify(docs[0]) ?? 'null' : '';
    const pretty = docs.length === 1 && compact.length < 4000 && r.chance(0.5) ? JSON.stringify(docs[0], null, 2) : '';
    if (docs.length === 1) return pretty !== '' && pretty.length < 20_000 ? pretty : compact; // indentation grows with the square of the depth
    if (r.chance(0.5)) return JSON.stringify({ apiVersion: 'v1', kind: r.pick(['List', 'IPPoolList', 'List']), items: docs });
    return docs.map((d) => JSON.stringify(d)).join('\n---\n');
  }
  if (docs.length > 1 && r.chance(0.2)) return toYaml({ apiVersion: 'tortie.io/v1', kind: 'List', items: docs }, r);
  const sep = r.pick(['---\n', '---\n', '...\n---\n', '--- \n', '---\n\n']);
  return (r.chance(0.1) ? '---\n' : '') + docs.map((d) => toYaml(d, r)).join(sep);
}

const TOKENS = [
  ':', ': ', '-', '- ', ' ', '\n', '  ', '\t', '{', '}', '[', ']', ',', '&a ', '*a', '&b ', '*b', '!!str ', '!!binary ', '!!set ', '!!omap ', '!!timestamp ',
  '!!float ', '!!int ', '!!map ', '!!seq ', '!foo ', '!<tag:yaml.org,2002:str> ', '? ', '|', '|-', '>', '"', "'", '#', '---', '...', '%YAML 1.1\n', '%TAG ! x\n',
  '<<: ', 'kind', 'IPPool', 'List', 'items', 'apiVersion', 'projectcalico.org/v3', 'metadata', 'name', 'spec', 'x', '0', '1e999', '-0', '.nan', '.inf', '~', 'null',
  'true', '0x1F', '0o17', '2001-12-14', '\\u0000', '\ufeff', '\r\n', '\u2028', '\u0085', '@', '`', '%', '\u0000',
];

function tokenSoup(r: Rand): string {
  return Array.from({ length: 1 + r.int(60) }, () => r.pick(TOKENS)).join('');
}

function randomBytes(r: Rand): string {
  const b = Buffer.alloc(r.int(400));
  for (let i = 0; i < b.length; i++) b[i] = r.chance(0.6) ? 0x20 + r.int(95) : r.int(256);
  return b.toString('utf8');
}

function textMutate(r: Rand, text: string, others: readonly string[]): string {
  let t = text;
  for (let round = 1 + r.int(4); round > 0; round--) {
    switch (r.int(10)) {
      case 0: { const b = Buffer.from(t); for (let n = 1 + r.int(8); n > 0 && b.length > 0; n--) b[r.int(b.length)]! ^= 1 << r.int(8); t = b.toString('utf8'); break; }
      case 1: t = t.slice(0, r.int(t.length + 1)); break;
      case 2: { const s = r.int(t.length + 1), e = s + r.int(Math.min(200, t.length - s) + 1); t = t.slice(0, e) + t.slice(s, e).repeat(1 + r.int(3)) + t.slice(e); break; }
      case 3: { const s = r.int(t.length + 1), e = s + r.int(t.length - s + 1); t = t.slice(0, s) + t.slice(e); break; }
      case 4: { const o = r.pick(others); const s = r.int(o.length + 1), e = s + r.int(o.length - s + 1); const at = r.int(t.length + 1); t = t.slice(0, at) + o.slice(s, e) + t.slice(at); break; }
      case 5: { const at = r.int(t.length + 1); t = t.slice(0, at) + r.pick(TOKENS) + t.slice(at); break; }
      case 6: { // a line duplicated, dropped, swapped or re-indented
        const lines = t.split('\n'); const i = r.int(lines.length), j = r.int(lines.length);
        const op = r.int(4);
        if (op === 0) lines.splice(i, 0, lines[i]!); else if (op === 1) lines.splice(i, 1);
        else if (op === 2) { const x = lines[i]!; lines[i] = lines[j]!; lines[j] = x; } else lines[i] = r.pick([' ', '  ', '\t', '']) + lines[i]!.replace(/^ {0,2}/, '');
        t = lines.join('\n');
        break;
      }
      case 7: { // a scalar replaced by an edge value
        const m = [...t.matchAll(/[A-Za-z0-9./:'"-]+/g)];
        if (m.length > 0) { const x = r.pick(m); const v = r.chance(0.5) ? JSON.stringify(r.pick(WEIRD_STRINGS)) : String(r.pick(WEIRD_NUMBERS)); t = t.slice(0, x.index) + v + t.slice(x.index + x[0].length); }
        break;
      }
      case 8: t = r.chance(0.5) ? t.replace(/\n/g, '\r\n') : `\ufeff${t}`; break;
      default: { const at = r.int(t.length + 1); t = t.slice(0, at) + String.fromCodePoint(r.pick([0, 9, 0x85, 0xa0, 0x2028, 0xd7ff, 0xe000, 0xfffd, 0xfffe, 0x1f431, 0x10ffff])) + t.slice(at); }
    }
  }
  return t;
}

/** YAML features that are easy to get wrong: aliases (bombs, cycles, dangling), merges, tags, nesting, volume. */
function special(r: Rand, seeds: readonly Record<string, unknown>[]): string {
  const seed = clone(r.pick(seeds));
  const where = r.pick(['status', 'spec', 'extra']);
  const base = toYaml(seed, r);
  // The document without the field `where`, so that it can be appended without a duplicate key.
  const rest = (): string => { const d = clone(seed); delete d[where]; return toYaml(d, r); };
  switch (r.int(11)) {
    case 0: { // billion laughs, within and beyond the alias limit
      const depth = 2 + r.int(8), width = 2 + r.int(9);
      const lines = [`${where}:`, `  l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
      for (let d = 1; d < depth; d++) lines.push(`  l${d}: &l${d} [${Array(width).fill(`*l${d - 1}`).join(', ')}]`);
      return `${rest()}${lines.join('\n')}\n`;
    }
    case 1: return `${rest()}${where}: &s ${r.pick(['[*s]', '{a: *s}', '[1, [2, *s]]', '{a: {b: [*s]}}'])}\n`;
    case 2: return `${rest()}${where}: ${r.pick(['*nope', '[*nope]', '{a: *nope}', '&x 1\nother: *y'])}\n`;
    case 3: return `%YAML 1.1\n---\nshared: &m {cidr: 10.9.0.0/16, natOutgoing: true}\n${base.replace(/^spec:/m, `spec:\n  <<: ${r.pick(['*m', '1', '[*m]', '[*m, *m]', '{x: 1}', 'null', '"s"'])}`)}`;
    case 4: { // deep nesting, flow, block or JSON
      const n = r.chance(0.95) ? r.pick([64, 300, 700, 1200, 5000]) : 20000;
      const style = r.int(3);
      // Block style grows with the square of the depth (indentation): 300 levels are 90,000 characters.
      const deep = style === 0 ? `${'['.repeat(n)}${']'.repeat(n)}` : style === 1 ? `${'{a: '.repeat(n)}1${'}'.repeat(n)}`
        : r.chance(0.5) ? `${'- '.repeat(n)}x` : Array.from({ length: Math.min(n, 300) }, (_, i) => `${'  '.repeat(i)}- `).join('\n') + 'x';
      return r.chance(0.5) ? `${rest()}${where}: ${style === 2 ? `\n${deep}` : deep}\n` : deep;
    }
    case 5: { // many documents: past the 128-object write limit, or one name many times
      const n = r.chance(0.95) ? r.pick([2, 3, 10]) : r.pick([127, 128, 129, 130]);
      const same = r.chance(0.3);
      return Array.from({ length: n }, (_, i) => `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: set-${same ? 0 : i}\nspec:\n  nets: [10.${i % 256}.0.0/16]\n`).join('---\n');
    }
    case 6: { // tags on scalars and collections
      const tag = r.pick(['!!binary aGVsbG8=', '!!set {a, b}', '!!omap [a: 1]', '!!timestamp 2001-12-14', '!!float 1e400', '!!int 0x1F', '!!str 1', '!!null ""', '!!bool yes', '!foo bar', '!!map [1]', '!!seq {a: 1}', '2001-12-14t21:59:43.10-05:00']);
      const lines = base.split('\n');
      const i = r.int(lines.length);
      lines[i] = lines[i]!.replace(/: (\S.*)$/, `: ${tag}`).replace(/^(\s*)- (\S.*)$/, `$1- ${tag}`);
      return `${r.chance(0.5) ? '%YAML 1.1\n---\n' : ''}${lines.join('\n')}`;
    }
    case 7: return `${rest()}${where}: ${r.pick(['.nan', '.inf', '-.inf', '-0', '0x10000', '1e309', '99999999999999999999999999', '0.0000001', '1_000', '0b101', '+12', '012'])}\n`;
    case 8: return `${base}${r.pick(['? [a, b]\n: c', '? {a: 1}\n: c', '"": x', '__proto__: {polluted: 1}', 'constructor: {prototype: {x: 1}}', '? |\n  multi\n: v', 'toString: 1', '<<: {a: 1}'])}\n`;
    case 9: { // a very long scalar
      // Mostly past the 253/1024-character limits; a few large ones look for quadratic work (each costs ~100 inputs).
      const long = r.pick(['a', 'ab-', '.', '1', 'é']).repeat(r.chance(0.95) ? r.pick([300, 1100, 5000]) : r.pick([70_000, 300_000]));
      return r.chance(0.5) ? base.replace(/name: (\S+)/, `name: ${long}`) : `${rest()}${where}: "${long}"\n`;
    }
    default: return `${r.pick(['\ufeff', '', '# only a comment\n', '---\n---\n', '...\n'])}${r.chance(0.5) ? base.replace(/\n/g, '\r\n') : base.replace(/^( +)/gm, (m) => '\t'.repeat(m.length / 2))}`;
  }
}

/** The seeds, and the small ones: yaml parses about a kilobyte a millisecond here, and the parser's own paths do not need big documents. */
interface Seeds { readonly docs: readonly Record<string, unknown>[]; readonly texts: readonly string[]; readonly small: { readonly docs: readonly Record<string, unknown>[]; readonly texts: readonly string[] } }

function seeds(): Seeds {
  const texts = seedTexts();
  return { docs: SEED_DOCS, texts, small: { docs: SEED_DOCS.filter((d) => JSON.stringify(d).length < 400), texts: texts.filter((t) => t.length < 450) } };
}

function makeCase(seed: number, i: number, all: Seeds): Case {
  const r = rand(seed, i);
  const verb = r.pick<Verb>(['apply', 'apply', 'apply', 'apply', 'create', 'create', 'replace', 'replace', 'delete', 'validate']);
  // Inputs that are not written start from the small seeds (yaml reads about a kilobyte a millisecond
  // here, and its paths do not need big documents); those written too start from all of them.
  const write = i % WRITE_EVERY === 0;
  const { docs: pool, texts } = write ? all : all.small;
  const k = r.int(100);
  let text: string;
  let label: string;
  if (k < 3) { text = randomBytes(r); label = 'random bytes'; }
  else if (k < 6) { text = tokenSoup(r); label = 'token soup'; }
  else if (k < 14) { text = special(r, pool); label = 'YAML special'; }
  else if (k < 58) {
    // Streams past the 128-object write limit are rare: validating 130 documents costs as much as 200 inputs.
    const n = r.chance(0.85) ? 1 : r.chance(0.995) ? 2 + r.int(4) : 126 + r.int(6);
    try {
      const docs = Array.from({ length: n }, () => mutatedDoc(r, r.chance(0.25) ? 0 : 1 + r.int(4), pool));
      text = serialize(r, docs);
    } catch (e) {
      // Nesting mutations can compound past what this generator's own recursion takes: then that deep value is written flat.
      if (!(e instanceof RangeError)) throw e;
      text = `${'['.repeat(2000)}${']'.repeat(2000)}`;
    }
    label = 'mutated object';
  } else {
    const source = r.chance(0.8) ? r.pick(texts) : `${r.pick(texts)}\n---\n${r.pick(texts)}`;
    text = textMutate(r, source, texts);
    label = 'mutated text';
  }
  // What a file or stdin can carry: UTF-8 bytes, decoded as readFileSync(…, 'utf8') does.
  text = Buffer.from(text, 'utf8').toString('utf8');
  return { text, verb, skip: r.chance(0.3), write, cli: i % CLI_EVERY === 3, format: r.chance(0.7) ? 'yaml' : 'json', label };
}

// ---------------------------------------------------------------- checks

interface Failure { readonly index: number; readonly label: string; readonly verb: Verb; readonly problem: string; readonly text: string }

class Problem extends Error {}
const need = (ok: boolean, what: string): void => { if (!ok) throw new Problem(what); };

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;

function checkMessage(message: string, text: string, where: string): void {
  need(message.trim().length > 0, `${where}: empty message`);
  need(!STACK.test(message), `${where}: message holds a stack trace: ${message.slice(0, 400)}`);
  // A stack overflow caught and passed on as a message is still a crash (and V8 may abort the process at the next one).
  need(!/Maximum call stack size exceeded/i.test(message), `${where}: a stack overflow reported as the input's fault: ${message.slice(0, 300)}`);
  need(!message.includes('[object Object]') || text.includes('[object Object]'), `${where}: message holds "[object Object]": ${message.slice(0, 400)}`);
  need(!/\bundefined\b/.test(message) || text.includes('undefined'), `${where}: message holds "undefined": ${message.slice(0, 400)}`);
}

function checkError(e: unknown, text: string): ErrorCode {
  if (!isTortieError(e)) {
    throw new Problem(`crash: ${e instanceof Error ? `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(e)}`);
  }
  need(e.code in ERRORS, `unregistered code ${e.code}`);
  need(EXPECTED_CODES.has(e.code), `unexpected code ${e.code} for a manifest: ${e.message.slice(0, 300)}`);
  checkMessage(e.message, text, e.code);
  let out = '';
  const exit = reportError(e, (s) => { out += s; });
  need(exit === 1, `${e.code} exits ${exit}, not 1`);
  need(out.startsWith(`Error [${e.code}]: `) && out.endsWith('\n'), `reportError wrote ${JSON.stringify(out.slice(0, 100))}`);
  return e.code;
}

interface Snapshot { readonly rev: number; readonly items: readonly KV[]; readonly deep?: string }

async function snapshot(store: Store, deep: boolean): Promise<Snapshot> {
  const { items, revision } = await store.list('');
  return { rev: revision, items, ...(deep ? { deep: JSON.stringify(items, (_k, v: unknown) => (Object.is(v, -0) ? '-0' : v)) } : {}) };
}

async function sameStore(store: Store, before: Snapshot, what: string): Promise<void> {
  const after = await snapshot(store, before.deep !== undefined);
  need(after.rev === before.rev, `${what}: the store revision moved ${before.rev} → ${after.rev}`);
  need(after.items.length === before.items.length && after.items.every((kv, i) => kv === before.items[i] || isDeepStrictEqual(kv, before.items[i])), `${what}: the store's objects changed`);
  if (before.deep !== undefined) need(after.deep === before.deep, `${what}: a stored value changed in place`);
}

const ident = (r: Resource): unknown => ({ kind: r.kind, metadata: r.metadata, spec: r.spec });

/** A written resource reads back equal, and its `get -o yaml|json` form validates to itself and applies back unchanged. */
async function checkWritten(client: ResourceClient, results: readonly WriteResult[], format: 'yaml' | 'json'): Promise<void> {
  const got: Resource[] = [];
  for (const w of results) {
    const kind = kindByKind(w.resource.kind);
    need(kind !== undefined, `result of unknown kind ${w.resource.kind}`);
    const r = await client.get(kind!, w.resource.metadata.name, w.resource.metadata.namespace);
    if (w.action !== 'skipped') need(isDeepStrictEqual(ident(r), ident(w.resource)), `${w.action} ${w.resource.kind} ${w.resource.metadata.name}: reads back different:\n${JSON.stringify(ident(w.resource))}\n${JSON.stringify(ident(r))}`);
    const stored = await client.store.get(client.keyOf(r));
    const again = validateDocument(stored.value);
    need(again.ok, `the stored ${r.kind} ${r.metadata.name} does not validate: ${again.ok ? '' : JSON.stringify(again.issues).slice(0, 400)}`);
    got.push(r);
  }
  const single = got.length === 1;
  const text = renderDocument(documentOf(got, single), format);
  const back = parseManifest(text, `get -o ${format}`);
  need(back.length === got.length, `get -o ${format} output holds ${back.length} documents, not ${got.length}`);
  back.forEach((d, i) => {
    const v = validateDocument(d.doc);
    need(v.ok, `get -o ${format} output of ${got[i]!.kind} ${got[i]!.metadata.name} does not validate: ${v.ok ? '' : JSON.stringify(v.issues).slice(0, 400)}\n${text.slice(0, 600)}`);
    if (v.ok) need(isDeepStrictEqual(ident(v.resource), ident(got[i]!)), `get -o ${format} output of ${got[i]!.kind} ${got[i]!.metadata.name} validates to something else:\n${JSON.stringify(ident(got[i]!))}\n${JSON.stringify(ident(v.resource))}`);
  });
  if (got.some((r) => r.metadata.name.startsWith(K8S_POLICY_NAME_PREFIX) || r.kind === 'ClusterInformation')) return;
  const rev = await client.store.revision();
  const reapplied = await client.apply(validateAll(back).map((v) => v.resource));
  need(reapplied.every((w) => w.action === 'unchanged'), `get -o ${format} output applies back as ${reapplied.map((w) => `${w.resource.kind} ${w.resource.metadata.name} ${w.action}`).join(', ')}`);
  need(await client.store.revision() === rev, 'applying get output back wrote to the store');
}

type Outcome = string; // 'ok:<verb>' or the error code

/** The parser and validation, as every write and `validate` runs them: resources, or a MANIFEST_PARSE / MANIFEST_INVALID error. */
function throughValidation(c: Case): Outcome {
  let docs;
  try {
    docs = readManifests(['-'], { stdin: () => c.text });
  } catch (e) {
    return `parse ${checkError(e, c.text)}`;
  }
  need(docs.length > 0 && docs.every((d) => d.source.startsWith('<stdin>')), 'documents without their source');
  try {
    const valid = validateAll(docs, c.verb === 'validate' || c.verb === 'delete' ? 'check' : 'write');
    need(valid.length === docs.length, `${valid.length} resources from ${docs.length} documents`);
  } catch (e) {
    if (e instanceof Problem) throw e;
    return `validate ${checkError(e, c.text)}`;
  }
  return 'validate ok';
}

async function throughClient(c: Case, client: ResourceClient, deep: boolean): Promise<Outcome> {
  const before = await snapshot(client.store, deep);
  let results: WriteResult[] | null = null;
  let count = 0;
  try {
    const docs = readManifests(['-'], { stdin: () => c.text });
    if (c.verb === 'validate') { validateAll(docs, 'check'); return 'ok:validate'; }
    if (c.verb === 'delete') {
      const refs = validateAll(docs, 'check').map((v) => ({ kind: v.kind, name: v.resource.metadata.name, ...(v.resource.metadata.namespace ? { namespace: v.resource.metadata.namespace } : {}) }));
      count = refs.length;
      results = await client.delete(refs, { skipMissing: c.skip });
    } else {
      const resources = validateAll(docs).map((v) => v.resource);
      count = resources.length;
      results = c.verb === 'apply' ? await client.apply(resources)
        : c.verb === 'replace' ? await client.replace(resources)
          : await client.create(resources, { skipExisting: c.skip });
    }
  } catch (e) {
    if (e instanceof Problem) throw e;
    const code = checkError(e, c.text);
    await sameStore(client.store, before, `${code}`);
    return code;
  }
  need(results.length === count, `${results.length} results for ${count} objects`);
  if (c.verb === 'delete') {
    for (const w of results) {
      if (w.action === 'skipped') continue;
      const key = client.keyOf(w.resource);
      need(await client.store.get(key).then(() => false, () => true), `deleted ${key} is still there`);
    }
  } else {
    await checkWritten(client, results, c.format);
  }
  return `ok:${c.verb}`;
}

// The whole CLI in-process: `run(argv)` with its output captured.
async function throughCli(c: Case, file: string, storePath: string, reader: Store): Promise<Outcome> {
  writeFileSync(file, c.text);
  const argv = [c.verb, '-f', file, ...(c.verb === 'validate' ? [] : ['--datastore', 'embedded', '--store-path', storePath, '-c', '/dev/null'])];
  if (c.skip && c.verb === 'create') argv.push('--skip-exists');
  if (c.skip && c.verb === 'delete') argv.push('--skip-not-exists');
  const before = await snapshot(reader, false);
  const beforeText = JSON.stringify(before.items);
  let stdout = '', stderr = '';
  const out = process.stdout.write.bind(process.stdout), err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => { stdout += String(s); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true; }) as typeof process.stderr.write;
  process.exitCode = undefined;
  let code: number;
  try { code = await run(argv); } finally { process.stdout.write = out; process.stderr.write = err; }
  need(code === 0 || code === 1, `tortie ${c.verb} exits ${code}: ${stderr.slice(0, 600)}`);
  if (code === 0) {
    need(stderr === '', `tortie ${c.verb} succeeded with stderr ${stderr.slice(0, 300)}`);
    return `cli ok:${c.verb}`;
  }
  const m = /^Error \[(TORTIE_ERR_[A-Z_]+)\]: ([\s\S]*)\n$/.exec(stderr);
  need(m !== null, `tortie ${c.verb} failed without "Error [CODE]: message": ${stderr.slice(0, 600)}`);
  const errCode = m![1] as ErrorCode;
  need(EXPECTED_CODES.has(errCode), `tortie ${c.verb}: unexpected code ${errCode}: ${m![2]!.slice(0, 600)}`);
  checkMessage(m![2]!, c.text, `tortie ${c.verb}`);
  need(stdout === '', `tortie ${c.verb} failed but wrote to stdout: ${stdout.slice(0, 300)}`);
  const after = await snapshot(reader, false);
  need(after.rev === before.rev && JSON.stringify(after.items) === beforeText, `tortie ${c.verb} failed (${errCode}) but changed the store`);
  return `cli ${errCode}`;
}

// ---------------------------------------------------------------- the worker: runs the inputs

interface WorkerInput {
  readonly seed: number;
  readonly runs: number;
  /** This worker takes the inputs i with i % workers === slot. */
  readonly slot: number;
  readonly workers: number;
  /** Per worker: the input it is on (corpus entries count down from -1). */
  readonly heartbeat: SharedArrayBuffer;
}
type WorkerMessage =
  | { readonly type: 'failure'; readonly failure: Failure }
  | { readonly type: 'done'; readonly stats: Record<string, number>; readonly slowest: { index: number; ms: number; label: string }; readonly corpus: number };

function corpusCases(): Array<{ name: string; text: string }> {
  let names: string[] = [];
  try { names = readdirSync(CORPUS_DIR).sort(); } catch { return []; }
  return names.map((n) => ({ name: n, text: readFileSync(new URL(n, CORPUS_DIR), 'utf8') }));
}

async function baseline(store: Store): Promise<void> {
  const resources = SEED_DOCS.flatMap((d) => { const v = validateDocument(d); return v.ok && v.kind.kind !== 'ClusterInformation' ? [v.resource] : []; });
  await new ResourceClient(store).apply(resources);
}

async function workerMain(input: WorkerInput): Promise<void> {
  const beat = new Int32Array(input.heartbeat);
  const all = seeds();
  const dir = tempDir('manifest-fuzz');
  const storePath = join(dir.path, 'store.db');
  const file = join(dir.path, 'input.yaml');
  const stats: Record<string, number> = {};
  const count = (k: string): void => { stats[k] = (stats[k] ?? 0) + 1; };
  const report = (f: Failure): void => parentPort!.postMessage({ type: 'failure', failure: f } satisfies WorkerMessage);
  let slowest = { index: -1, ms: 0, label: '' };
  let client = new ResourceClient(new MemoryStore());
  await baseline(client.store);
  const seeder = new SqliteStore({ path: storePath });
  await baseline(seeder);
  await seeder.close();
  const reader = new SqliteStore({ path: storePath });
  try {
    // The corpus first (in the first worker): every input that once failed, through every verb and the CLI.
    const corpus = input.slot === 0 ? corpusCases() : [];
    for (const [n, { name, text }] of corpus.entries()) {
      Atomics.store(beat, input.slot, -1 - n);
      for (const verb of ['apply', 'create', 'replace', 'delete', 'validate'] as const) {
        const c: Case = { text, verb, skip: false, write: true, cli: true, format: 'yaml', label: `corpus ${name}` };
        try {
          count(await throughClient(c, client, true));
          count(await throughCli(c, file, storePath, reader));
        } catch (e) {
          report({ index: -1 - n, label: c.label, verb, problem: e instanceof Problem ? e.message : `the check itself failed: ${String(e)}`, text });
        }
      }
    }
    let done = 0;
    for (let i = input.slot; i < input.runs; i += input.workers) {
      Atomics.store(beat, input.slot, i);
      if (++done % RESET_EVERY === 0) { client = new ResourceClient(new MemoryStore()); await baseline(client.store); }
      const t0 = performance.now();
      let c: Case;
      try { c = makeCase(input.seed, i, all); } catch (e) {
        report({ index: i, label: 'generator', verb: 'apply', problem: `the generator itself failed: ${e instanceof Error ? e.stack : String(e)}`, text: '' });
        continue;
      }
      try {
        count(c.write ? await throughClient(c, client, i % FULL_COMPARE_EVERY === 0) : throughValidation(c));
        if (c.cli) count(await throughCli(c, file, storePath, reader));
      } catch (e) {
        report({ index: i, label: c.label, verb: c.verb, problem: e instanceof Problem ? e.message : `the check itself failed: ${e instanceof Error ? e.stack : String(e)}`, text: c.text });
      }
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { index: i, ms, label: c.label };
    }
    parentPort!.postMessage({ type: 'done', stats, slowest, corpus: corpus.length } satisfies WorkerMessage);
  } finally {
    await reader.close();
    dir.remove();
  }
}

// ---------------------------------------------------------------- the test: runs and watches the workers

type Ended = Extract<WorkerMessage, { type: 'done' }> | { readonly type: 'died'; readonly why: string; readonly index: number };

/** One worker, watched: it ends with its statistics, or is stopped when it makes no progress for HANG_MS. */
function runWorker(slot: number, heartbeat: SharedArrayBuffer, onFailure: (f: Failure) => void, onOutput: (s: string) => void): Promise<Ended> {
  const beat = new Int32Array(heartbeat);
  return new Promise((resolve) => {
    const w = new Worker(new URL(import.meta.url), {
      workerData: { seed: SEED, runs: RUNS, slot, workers: WORKERS, heartbeat } satisfies WorkerInput,
      execArgv: process.execArgv.filter((a) => a === '--enable-source-maps'),
      // The CLI's main thread has V8's default ~1 MB stack; a worker would get 4 MB and hide overflows.
      resourceLimits: { stackSizeMb: 1, maxOldGenerationSizeMb: 1024 },
      stdout: true, stderr: true,
    });
    w.stdout.on('data', (d: Buffer) => onOutput(d.toString()));
    w.stderr.on('data', (d: Buffer) => onOutput(d.toString()));
    let last = Atomics.load(beat, slot), lastAt = performance.now(), finished = false;
    const end = (e: Ended): void => { if (!finished) { finished = true; clearInterval(watch); resolve(e); } };
    const watch = setInterval(() => {
      const now = Atomics.load(beat, slot);
      if (now !== last) { last = now; lastAt = performance.now(); return; }
      if (performance.now() - lastAt > HANG_MS) { void w.terminate(); end({ type: 'died', why: `no progress for ${HANG_MS} ms`, index: now }); }
    }, 500);
    w.on('message', (m: WorkerMessage) => { if (m.type === 'failure') onFailure(m.failure); else end(m); });
    w.on('error', (e) => end({ type: 'died', why: `the worker died: ${e.message}`, index: Atomics.load(beat, slot) }));
    w.on('exit', (code) => end({ type: 'died', why: `the worker exited (${code})`, index: Atomics.load(beat, slot) }));
  });
}

async function mainThread(): Promise<void> {
  const { test } = await import('node:test');
  test(`manifests: ${RUNS} fuzzed inputs through read → validate → write → read back (seed ${SEED}; TORTIE_FUZZ_SEED/TORTIE_FUZZ_RUNS)`, { timeout: 1_800_000 }, async (t) => {
    t.diagnostic(`seed ${SEED} (0x${SEED.toString(16)}): ${RUNS} inputs parsed and validated; 1 in ${WRITE_EVERY} also written to a MemoryStore and read back; 1 in ${CLI_EVERY} also through run(argv) on SQLite; ${WORKERS} worker threads`);
    const heartbeat = new SharedArrayBuffer(4 * WORKERS);
    const failures: Failure[] = [];
    let workerOut = '';
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    const ends = await Promise.all(Array.from({ length: WORKERS }, (_, slot) => runWorker(slot, heartbeat, (f) => failures.push(f), (s) => { workerOut += s; })));
    const cpu = process.cpuUsage(cpu0);
    t.diagnostic(`wall ${((performance.now() - started) / 1000).toFixed(1)} s, cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
    // Nothing may write to the terminal behind the CLI's back (a library's warning, a stray log line).
    if (workerOut !== '') failures.push({ index: -1, label: 'output', verb: 'apply', problem: `the workers printed outside the CLI's own output: ${workerOut.slice(0, 1000)}`, text: '' });
    const stats: Record<string, number> = {};
    for (const e of ends) {
      if (e.type === 'died') {
        let c: Case | undefined;
        try { c = e.index >= 0 ? makeCase(SEED, e.index, seeds()) : undefined; } catch { c = undefined; }
        failures.push({ index: e.index, label: c?.label ?? 'corpus', verb: c?.verb ?? 'apply', problem: `hang or crash of the worker: ${e.why}`, text: c?.text ?? corpusCases()[-1 - e.index]?.text ?? '' });
        continue;
      }
      t.diagnostic(`slowest input #${e.slowest.index} (${e.slowest.label}) ${e.slowest.ms.toFixed(0)} ms${e.corpus > 0 ? `; ${e.corpus} corpus inputs replayed first` : ''}`);
      for (const [k, n] of Object.entries(e.stats)) stats[k] = (stats[k] ?? 0) + n;
    }
    t.diagnostic(`outcomes: ${Object.entries(stats).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    if (ends.every((e) => e.type === 'done') && RUNS >= 1000) {
      const ok = Object.entries(stats).filter(([k]) => k.startsWith('ok:')).reduce((a, [, n]) => a + n, 0);
      assert.ok(ok > RUNS / WRITE_EVERY / 20, `only ${ok} of ${RUNS / WRITE_EVERY} inputs were written or validated: the generator hardly reaches the store`);
    }
    const save = process.env['TORTIE_FUZZ_SAVE'];
    if (save && failures.length > 0) {
      mkdirSync(save, { recursive: true });
      for (const f of failures) writeFileSync(join(save, `seed${SEED}-input${f.index}.yaml`), f.text);
    }
    // One example (the shortest input) per kind of problem.
    const byKind = new Map<string, Failure[]>();
    for (const f of failures) {
      const sig = f.problem.split('\n')[0]!.replace(/"[^"]*"|\d+/g, '…').slice(0, 120);
      byKind.set(sig, [...(byKind.get(sig) ?? []), f]);
    }
    const shown = [...byKind.entries()].map(([sig, fs]) => {
      const f = fs.reduce((a, b) => (b.text.length < a.text.length ? b : a));
      return `${fs.length}× ${sig}\n  e.g. input #${f.index} (${f.label}, ${f.verb}, seed ${SEED}): ${f.problem.slice(0, 1500)}\n--- input (${f.text.length} chars) ---\n${f.text.slice(0, 800)}`;
    });
    assert.deepEqual(shown, [], `${failures.length} failing inputs`);
  });
}

if (isMainThread) await mainThread();
else await workerMain(workerData as WorkerInput);
