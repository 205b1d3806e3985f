// Fuzzing what a container runtime hands the CNI plugins: the CNI_* environment, the network
// configuration on stdin, and the shim's request to the agent over its socket.
//
//   env ─ parseCniEnv ───────────┐
//   stdin ─ parseNetworkConfig ──┼─ (every input: 100,000 by default)
//   request ─ parseRequest ──────┘
//   env + stdin ─ runIpamPlugin ─ SqliteStore in a temp dir, a pool and the node in it     (1 in IPAM_EVERY: 2,500)
//   request ─ unix socket ─ startCniServer ─ CniHandler ─ SqliteStore, as agent/run.ts   (1 in AGENT_EVERY: 2,000)
//
// The whole plugins open a store per call (tortie-ipam) or run iproute2 (the agent), so they get a
// seeded share of the inputs and the parsers get all of them.
//
// Inputs, each from its own PRNG stream (seed, index): valid configurations of the `tortie` plugin
// and of `tortie-ipam` (under ptp), for every command and cniVersion, with and without prevResult,
// args.cni (labels, ports), runtimeConfig and GC's valid attachments, mutated as objects (edge
// values, type swaps, dropped and added keys, deep nesting) or as text (bit flips, truncation,
// splicing), JSON oddities (duplicate keys, __proto__, 1e999, BOM, 100,000-deep arrays); CNI_*
// variables missing, empty, huge, garbage, in the wrong case, with odd CNI_ARGS; shim requests with
// their framing broken (no blank line, \r\n, NUL, duplicated variables, truncation).
//
// Checks: the parsers return well-formed values or throw a CniError with a spec code and a message,
// and a well-framed request reads back exactly; a plugin answers exit 0 with a result (or nothing),
// or exit 1 with one CNI error on stdout — {cniVersion, code (1–11, 50 or Tortie's 101/999), msg} —
// never an "unexpected failure" (TORTIE_ERR_INTERNAL_BUG), a stack trace, "[object Object]" or
// "undefined"; a failed call writes nothing (the store's revision and every key as before); an ADD
// that succeeds holds its address under its handle, and (agent) has a valid WorkloadEndpoint.
//
// Sandbox: tortie-ipam's datastore settings are pinned to the temp store (store_path, datastore_type;
// etcd_* and nodename_file dropped; TORTIE_CONFIG=/dev/null), so no input reaches another store or
// file. The agent's handler makes veths with iproute2 (there is no fake for that port), so `ip` and
// `nsenter` on the test's PATH are a fake that records the `ip -batch` lines and touches no kernel;
// every recorded line must be one the handler means to write, with valid interface names (a name
// with spaces would add arguments of its own). CNI_PATH is an empty directory, so no other IPAM
// plugin ever starts. The server runs in the test's main thread (it sets the umask, which workers
// may not); the inputs run in a worker thread (1 MB stack, heap limit) watched for hangs.
// Inputs that once failed are kept in fuzz-corpus/ and replayed first. TORTIE_FUZZ_SEED and
// TORTIE_FUZZ_RUNS choose the run (the seed is printed); TORTIE_FUZZ_SAVE=dir writes failing inputs there.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CniHandler } from '../agent/cni/handler.js';
import { parseRequest, startCniServer } from '../agent/cni/server.js';
import type { Store } from '../datastore/ports.js';
import { SqliteStore } from '../datastore/sqlite/index.js';
import { IpamService } from '../ipam/service/index.js';
import { WorkloadEndpoint, validateDocument } from '../model/index.js';
import { ResourceClient } from '../resources/index.js';
import { prng } from '../../test/support/prng.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { runIpamPlugin } from './ipam-plugin.js';
import { CNI_ERR, CniError, SUPPORTED_VERSIONS, errorResult, parseCniEnv, parseNetworkConfig } from './protocol/index.js';

const SEED = Number(process.env['TORTIE_FUZZ_SEED'] ?? 0xc41);
const RUNS = Number(process.env['TORTIE_FUZZ_RUNS'] ?? 100_000);
const IPAM_EVERY = 40;
const AGENT_EVERY = 50;
const HANG_MS = 60_000; // the slowest input seen took 11 s, on a machine with a load of 100
const CORPUS_DIR = new URL('../../../src/cni/fuzz-corpus/', import.meta.url);
const NODE = 'tt-node';
const POOL = '10.44.0.0/16';

const CODES = new Set<number>([...Object.values(CNI_ERR), 50]);
const COMMANDS = ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC', 'VERSION'] as const;

interface Case {
  readonly label: string;
  readonly env: Record<string, string>;
  readonly stdin: string;
  /** The shim's request for env + stdin, perhaps with its framing broken. */
  readonly request: string;
  readonly ipam: boolean;
  readonly agent: boolean;
}

// ---------------------------------------------------------------- seeds

const PREV_RESULT = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'cali0ef24ba', mac: 'ee:ee:ee:ee:ee:ee' }, { name: 'eth0', mac: '02:00:00:00:00:01', sandbox: '/var/run/netns/tt-fuzz' }],
  ips: [{ address: '10.44.0.5/32', interface: 1 }],
  routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }],
  dns: {},
};

const SEED_CONFS: ReadonlyArray<Record<string, unknown>> = [
  // The tortie plugin as 10-tortie.conflist hands it to the runtime, one plugin at a time.
  { cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'tortie', agent_socket: '/var/run/tortie/cni.sock', mtu: 1450, ipam: { type: 'tortie-ipam' } },
  {
    cniVersion: '1.1.0', name: 'k8s-pod-network', type: 'tortie', ipam: { type: 'tortie-ipam', ipv4_pools: ['default-ipv4-ippool'] },
    args: { cni: { labels: [{ key: 'app', value: 'web' }, { key: 'team', value: 'a' }], ports: [{ name: 'http', port: 80, protocol: 'tcp' }, { name: 'dns', port: 53, protocol: 'UDP' }] } },
    runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], bandwidth: { ingressRate: 1000 } },
    kubernetes: { kubeconfig: '/etc/cni/net.d/tortie-kubeconfig' },
  },
  { cniVersion: '0.4.0', name: 'k8s-pod-network', type: 'tortie', ipam: { type: 'tortie-ipam' }, prevResult: PREV_RESULT },
  { cniVersion: '0.3.1', name: 'mynet', type: 'tortie', ipam: { type: 'host-local', subnet: '10.55.0.0/24' } },
  { cniVersion: '1.1.0', name: 'k8s-pod-network', type: 'tortie', ipam: { type: 'tortie-ipam' }, 'cni.dev/valid-attachments': [{ containerID: 'cid-1', ifname: 'eth0' }, { containerID: 'cid-2', ifname: 'eth0' }] },
  // tortie-ipam under the reference ptp plugin, its settings in the ipam section or at the top.
  {
    cniVersion: '1.0.0', name: 'tt-net', type: 'ptp',
    ipam: { type: 'tortie-ipam', nodename: NODE, ipv4_pools: [POOL], address_prefix: 'block', gateway: '169.254.1.1', routes: [{ dst: '0.0.0.0/0' }], assign_ipv4: 'true', assign_ipv6: 'false' },
  },
  { cniVersion: '0.3.0', name: 'tt-net', type: 'ptp', nodename: NODE, ipam: { type: 'tortie-ipam', address_prefix: 'host' } },
  { cniVersion: '0.4.0', name: 'tt-net', type: 'ptp', ipam: { type: 'tortie-ipam', nodename: NODE }, prevResult: { ...PREV_RESULT, cniVersion: '0.4.0', ips: [{ version: '4', address: '10.44.0.5/32' }] } },
  { cniVersion: '1.1.0', name: 'tt-net', type: 'ptp', ipam: { type: 'tortie-ipam', nodename: NODE }, 'cni.dev/valid-attachments': [{ containerID: 'cid-3', ifname: 'eth0' }] },
  // A whole conflist where a single plugin's configuration belongs.
  { cniVersion: '1.0.0', name: 'k8s-pod-network', plugins: [{ type: 'tortie', ipam: { type: 'tortie-ipam' } }, { type: 'portmap', capabilities: { portMappings: true } }] },
];

const seedEnv = (command: string, n: number): Record<string, string> => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: n % 3 === 0 ? `cid-${n % 7}` : (n * 2654435761 >>> 0).toString(16).padStart(64, 'a'),
  CNI_NETNS: `/var/run/netns/tt-fuzz-${n % 5}`,
  CNI_IFNAME: n % 4 === 0 ? 'net1' : 'eth0',
  CNI_ARGS: n % 2 === 0 ? `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-${n % 9};K8S_POD_INFRA_CONTAINER_ID=cid-${n % 7}` : '',
  CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
});

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
  '', ' ', 'a', '-', '.', '..', '/', 'eth0', 'eth0 ', ' eth0', 'eth0\nlink del lo', 'eth0 netns 1', 'a'.repeat(15), 'a'.repeat(16), 'a'.repeat(300),
  'tortie-ipam', 'host-local', '../../bin/sh', 'tortie', 'ptp', 'block', 'host', 'true', 'false', 'embedded', 'etcdv3', '0.0.0.0/0', '10.44.0.0/16',
  '10.44.0.5/32', '10.44.0.5', '169.254.1.1', '::1', 'fd00::/64', '300.1.1.1', '10.0.0.0/33', 'default-ipv4-ippool', 'no-such-pool', '1.0.0', '0.4.0', '0.3.1',
  '0.2.0', '2.0.0', '1.1', 'ADD', 'add', 'DEL', 'CHECK', 'GC', 'VERSION', 'STATUS', 'K8S_POD_NAME=x', 'a=b;c', ';', '=', '==', '__proto__', 'constructor',
  'toString', 'hasOwnProperty', 'undefined', '[object Object]', 'null', 'NaN', 'é', '\u0000', '\u202e', '\ufeff', '🐈', 'a\nb', '\t', '\\', '"', '%s', '${x}',
  'tt-node', 'other-node', '/var/run/netns/x', '/proc/1/ns/net', 'cali0ef24ba', 'ee:ee:ee:ee:ee:ee', 'k8s-pod-network', 'tt-net', 'x'.repeat(70_000),
];
const WEIRD_NUMBERS = [0, -0, 1, -1, 0.5, 68, 1450, 1500, 9000, 65535, 65536, 2 ** 31, 2 ** 53 + 2, 1e21, 1e308, -1e308, 5e-324];

function weirdValue(r: Rand, depth = 0): unknown {
  switch (r.int(depth > 2 ? 6 : 9)) {
    case 0: case 1: case 2: return r.pick(WEIRD_STRINGS);
    case 3: case 4: return r.pick(WEIRD_NUMBERS);
    case 5: return r.pick([null, true, false]);
    case 6: return Array.from({ length: r.int(4) }, () => weirdValue(r, depth + 1));
    case 7: { const o: Record<string, unknown> = {}; for (let k = r.int(3); k > 0; k--) setKey(o, r.pick(KEY_LIST), weirdValue(r, depth + 1)); return o; }
    default: return clone(r.pick([PREV_RESULT, { type: 'tortie-ipam' }, { cni: { labels: [{ key: 'a', value: 'b' }] } }, [{ containerID: 'cid-1' }], [null], {}]));
  }
}

function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (typeof v !== 'object' || v === null) return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) setKey(o, k, clone(x));
  return o as T;
}

const KEYS = new Set<string>();
const collectKeys = (v: unknown): void => {
  if (Array.isArray(v)) v.forEach(collectKeys);
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) { KEYS.add(k); collectKeys(x); }
};
SEED_CONFS.forEach(collectKeys);
const KEY_LIST = [...KEYS, 'nodename_file_optional', 'datastore_type', 'store_path', '__proto__', 'constructor', '', 'CNI_COMMAND', 'x'];

function randomSlot(r: Rand, root: Record<string, unknown>): { holder: Record<string, unknown> | unknown[]; key: string | number } | null {
  let holder: Record<string, unknown> | unknown[] = root;
  for (let depth = 0; depth < 6; depth++) {
    const keys: Array<string | number> = Array.isArray(holder) ? holder.map((_, i) => i) : Object.keys(holder);
    if (keys.length === 0) return null;
    const key = r.pick(keys);
    const child: unknown = Array.isArray(holder) ? holder[key as number] : holder[key as string];
    if (typeof child === 'object' && child !== null && r.chance(0.6)) { holder = child as Record<string, unknown> | unknown[]; continue; }
    return { holder, key };
  }
  return null;
}

function mutateObject(r: Rand, doc: Record<string, unknown>): void {
  const slot = randomSlot(r, doc);
  if (!slot) return;
  const { holder, key } = slot;
  const get = (): unknown => (Array.isArray(holder) ? holder[key as number] : holder[key as string]);
  const set = (v: unknown): void => { if (Array.isArray(holder)) holder[key as number] = v; else setKey(holder, key as string, v); };
  switch (r.int(9)) {
    case 0: case 1: set(weirdValue(r)); break;
    case 2: if (Array.isArray(holder)) holder.splice(key as number, 1); else delete holder[key as string]; break;
    case 3: if (!Array.isArray(holder)) setKey(holder, r.pick(KEY_LIST), weirdValue(r)); else holder.push(weirdValue(r)); break;
    case 4: { const v = get(); set(typeof v === 'object' && v !== null ? (Array.isArray(v) ? { ...v } : Object.values(v)) : [v]); break; } // type swaps
    case 5: set(r.pick([null, {}, [], '', 0, true, [null], [{}], '[]'])); break;
    case 6: { let v: unknown = get(); for (let d = r.pick([3, 30, 3000]); d > 0; d--) v = r.chance(0.5) ? [v] : { a: v }; set(v); break; }
    case 7: { const v = get(); if (typeof v === 'string') set(v + r.pick(WEIRD_STRINGS)); else if (typeof v === 'number') set(String(v)); else set(`${typeof v}`); break; }
    default: { const v = get(); set(typeof v === 'string' ? v.toUpperCase() : r.pick(WEIRD_NUMBERS)); }
  }
}

const TOKENS = ['{', '}', '[', ']', ',', ':', '"', '\\', '\\u0000', '\\ud800', '1e999', '-0', 'null', 'true', '\n', '\r\n', ' ', '\ufeff', '\u0000', '"cniVersion"', '"name"', '"ipam"', '"1.0.0"'];

function textMutate(r: Rand, text: string): string {
  let t = text;
  for (let round = 1 + r.int(3); round > 0; round--) {
    switch (r.int(6)) {
      case 0: { const b = Buffer.from(t); for (let n = 1 + r.int(6); n > 0 && b.length > 0; n--) b[r.int(b.length)]! ^= 1 << r.int(8); t = b.toString('utf8'); break; }
      case 1: t = t.slice(0, r.int(t.length + 1)); break;
      case 2: { const s = r.int(t.length + 1), e = s + r.int(Math.min(100, t.length - s) + 1); t = t.slice(0, e) + t.slice(s, e) + t.slice(e); break; }
      case 3: { const at = r.int(t.length + 1); t = t.slice(0, at) + r.pick(TOKENS) + t.slice(at); break; }
      case 4: { const s = r.int(t.length + 1), e = s + r.int(t.length - s + 1); t = t.slice(0, s) + t.slice(e); break; }
      default: { const m = [...t.matchAll(/"[^"]*"|-?\d+(\.\d+)?/g)]; if (m.length > 0) { const x = r.pick(m); t = t.slice(0, x.index) + JSON.stringify(r.chance(0.5) ? r.pick(WEIRD_STRINGS) : r.pick(WEIRD_NUMBERS)) + t.slice(x.index + x[0].length); } }
    }
  }
  return t;
}

function mutateEnv(r: Rand, env: Record<string, string>): void {
  const names = ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH'];
  for (let round = r.int(4); round > 0; round--) {
    const name = r.pick(names);
    switch (r.int(9)) {
      case 0: delete env[name]; break;
      case 1: env[name] = ''; break;
      case 2: env[name] = r.pick(WEIRD_STRINGS); break;
      case 3: { const v = env[name] || 'x'; env[name] = v.repeat(Math.max(2, Math.floor(r.pick([300, 5000, 200_000]) / v.length))); break; }
      case 4: env[name] = (env[name] ?? '').toLowerCase(); break;
      case 5: env['CNI_ARGS'] = `${env['CNI_ARGS'] ?? ''}${r.pick([';', ';;', ';=x', ';a', ';a=b=c', ';__proto__=x', ';toString=1', ';K8S_POD_NAME=', ';K8S_POD_NAME=Bad_Pod', ';K8S_POD_NAMESPACE=kube-system', ';IgnoreUnknown=0', ';K8S_POD_NAME=a\nb'])}`; break;
      case 6: env[r.pick(['CNI_FOO', 'cni_command', 'CNI_COMMAND ', 'X', 'CNI_'])] = r.pick(WEIRD_STRINGS); break;
      case 7: { const v = Buffer.from(env[name] ?? 'x'); v[r.int(v.length)]! ^= 1 << r.int(8); env[name] = v.toString('utf8'); break; }
      default: env[name] = `${env[name] ?? ''}${r.pick(['\n', ' ', '/', ':', '\u0000', '\nCNI_COMMAND=DEL', '\n\n{}'])}`;
    }
  }
}

/** The shim's request: header, the CNI_* variables, a blank line, the configuration. */
const request = (env: Readonly<Record<string, string>>, stdin: string): string =>
  `TORTIE-CNI/1\n${Object.entries(env).filter(([k]) => k.startsWith('CNI_')).map(([k, v]) => `${k}=${v}\n`).join('')}\n${stdin}`;

function breakFraming(r: Rand, req: string): string {
  switch (r.int(8)) {
    case 0: return req.replace('\n\n', '\n');
    case 1: return req.replace(/\n/g, '\r\n');
    case 2: return req.replace('TORTIE-CNI/1', r.pick(['TORTIE-CNI/2', 'tortie-cni/1', '', 'TORTIE-CNI/1 ']));
    case 3: return `TORTIE-CNI/1\n${req}`;
    case 4: { const at = r.int(req.length + 1); return req.slice(0, at) + '\u0000' + req.slice(at); }
    case 5: return req.slice(0, r.int(req.length + 1));
    case 6: return req.replace('\n\n', '\nCNI_COMMAND=ADD\nCNI_COMMAND=DEL\n\n');
    default: return textMutate(r, req);
  }
}

/** Configurations that are JSON but barely configurations. */
const JSON_SPECIALS: readonly string[] = [
  '', ' ', 'null', '[]', '"x"', '1', 'true', '{}', '{"cniVersion":"1.0.0"}', '{"cniVersion":"1.0.0","name":""}', `{"cniVersion":"1.0.0","name":"n","mtu":1e999}`,
  `{"cniVersion":"1.0.0","name":"n","__proto__":{"ipam":{"type":"tortie-ipam"}}}`, `{"cniVersion":"1.0.0","name":"n","ipam":"tortie-ipam"}`,
  `{"cniVersion":"1.0.0","name":"n","cniVersion":"9.9.9"}`,
  '{"cniVersion":"1.0.0","name":"n","ipam":{"type":"tortie-ipam"},"args":{"cni":{"labels":{"a":"b"},"ports":"80"}}}',
  '{"cniVersion":"1.0.0","name":"n","ipam":{"type":"tortie-ipam"},"prevResult":{"ips":{"address":"10.44.0.5/32"}}}',
  '{"cniVersion":"1.1.0","name":"n","ipam":{"type":"tortie-ipam"},"cni.dev/valid-attachments":{"containerID":"x"}}',
  '{"cniVersion":"1.1.0","name":"n","ipam":{"type":"tortie-ipam"},"cni.dev/valid-attachments":[null,1,"x"]}',
  '{"cniVersion":"1.0.0","name":"n","ipam":{"type":"tortie-ipam","ipv4_pools":"10.44.0.0/16"}}',
  '{"cniVersion":"1.0.0","name":"n/../x","ipam":{"type":"tortie-ipam"}}', '\ufeff{"cniVersion":"1.0.0","name":"n"}',
];
/** Rarely: JSON nested past any recursive reader's stack, and a name of 100,000 characters. */
const HUGE_JSON: readonly string[] = [`${'['.repeat(100_000)}${']'.repeat(100_000)}`, `{"cniVersion":"1.0.0","name":"${'n'.repeat(100_000)}","ipam":{"type":"tortie-ipam"}}`];

function makeCase(seed: number, i: number): Case {
  const r = rand(seed, i);
  const command = r.chance(0.9) ? r.pick(COMMANDS) : r.pick(['add', 'DELETE', '', 'ADD ', 'VERSION\n']);
  const env = seedEnv(command, r.int(1000));
  const conf = clone(r.pick(SEED_CONFS));
  if (r.chance(0.3)) conf['cniVersion'] = r.chance(0.85) ? r.pick(SUPPORTED_VERSIONS) : r.pick(['0.1.0', '0.2.0', '1.2.0', '', '1.0', ' 1.0.0', 1, null]);
  let label: string;
  let stdin: string;
  // The whole plugins get some inputs as runtimes send them, so that ADDs succeed and later calls meet their state.
  const whole = i % IPAM_EVERY === 0 || i % AGENT_EVERY === 1;
  const k = whole && r.chance(0.3) ? -1 : r.int(100);
  if (k < 0) { label = 'valid'; stdin = JSON.stringify(conf); }
  else if (k < 10) { label = 'environment'; mutateEnv(r, env); stdin = JSON.stringify(conf); }
  else if (k < 55) {
    label = 'mutated object';
    try {
      for (let n = r.chance(0.2) ? 0 : 1 + r.int(4); n > 0; n--) mutateObject(r, conf);
      stdin = JSON.stringify(conf);
      if (stdin.length < 5000 && r.chance(0.3)) stdin = JSON.stringify(conf, null, 2); // not for deep values: indentation grows with the square of the depth
    } catch (e) {
      // Nesting past what JSON.stringify (and this generator) take on a 1 MB stack: written by hand.
      if (!(e instanceof RangeError)) throw e;
      stdin = `{"cniVersion":"1.0.0","name":"n","ipam":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    }
    if (r.chance(0.3)) mutateEnv(r, env);
  } else if (k < 85) { label = 'mutated text'; stdin = textMutate(r, JSON.stringify(conf, null, r.chance(0.5) ? 1 : undefined)); }
  else if (k < 90) { label = 'random bytes'; const b = Buffer.alloc(r.int(300)); for (let j = 0; j < b.length; j++) b[j] = r.int(256); stdin = b.toString('utf8'); }
  else {
    label = 'JSON special';
    stdin = r.chance(0.02) ? r.pick(HUGE_JSON) : r.pick(JSON_SPECIALS);
  }
  const req = request(env, stdin);
  return { label, env, stdin, request: r.chance(0.25) ? breakFraming(r, req) : req, ipam: i % IPAM_EVERY === 0, agent: i % AGENT_EVERY === 1 };
}

// ---------------------------------------------------------------- checks

interface Failure { readonly index: number; readonly label: string; readonly problem: string; readonly input: { env: Record<string, string>; stdin: string; request: string } }

class Problem extends Error {}
const need = (ok: boolean, what: string): void => { if (!ok) throw new Problem(what); };
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;
const crash = (e: unknown, where: string): Problem => new Problem(`${where}: crash: ${e instanceof Error ? `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(e)}`);

function checkMessage(msg: string, input: string, where: string): void {
  need(msg.trim().length > 0, `${where}: empty message`);
  need(!STACK.test(msg), `${where}: message holds a stack trace: ${msg.slice(0, 400)}`);
  need(!msg.includes('[object Object]') || input.includes('[object Object]'), `${where}: message holds "[object Object]": ${msg.slice(0, 300)}`);
  need(!/\bundefined\b/.test(msg) || input.includes('undefined'), `${where}: message holds "undefined": ${msg.slice(0, 300)}`);
}

function checkCniError(e: unknown, input: string, where: string): number {
  if (!(e instanceof CniError)) throw crash(e, where);
  need(CODES.has(e.code), `${where}: CNI error code ${e.code} is not one Tortie uses`);
  checkMessage(e.message, input, `${where} (code ${e.code})`);
  const out = JSON.parse(JSON.stringify(errorResult(e))) as Record<string, unknown>;
  need(out['code'] === e.code && out['msg'] === e.message, `${where}: errorResult lost the code or message`);
  return e.code;
}

/** A plugin's stdout for exit 1: one CNI error object. */
function checkErrorAnswer(stdout: string, input: string, where: string): string {
  let out: Record<string, unknown>;
  try { out = JSON.parse(stdout) as Record<string, unknown>; } catch { throw new Problem(`${where}: exit 1 without a JSON error: ${JSON.stringify(stdout.slice(0, 300))}`); }
  need(typeof out === 'object' && out !== null && !Array.isArray(out), `${where}: the error is not an object`);
  need(typeof out['cniVersion'] === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(out['cniVersion']), `${where}: error with cniVersion ${JSON.stringify(out['cniVersion'])}`);
  need(typeof out['code'] === 'number' && CODES.has(out['code']), `${where}: error code ${JSON.stringify(out['code'])}`);
  need(typeof out['msg'] === 'string', `${where}: error without msg`);
  need(out['details'] !== 'TORTIE_ERR_INTERNAL_BUG', `${where}: an unexpected failure (TORTIE_ERR_INTERNAL_BUG): ${String(out['msg']).slice(0, 800)}`);
  checkMessage(String(out['msg']), input, `${where} (code ${String(out['code'])})`);
  return `${String(out['code'])}${typeof out['details'] === 'string' ? ` ${out['details']}` : ''}`;
}

function checkEnv(env: Record<string, string>, input: string): string {
  try {
    const e = parseCniEnv(env);
    need(COMMANDS.includes(e.command), `parseCniEnv: command ${e.command}`);
    need([e.containerId, e.netns, e.ifname].every((x) => typeof x === 'string'), 'parseCniEnv: fields that are not strings');
    need(Object.entries(e.args).every(([k, v]) => k !== '' && typeof v === 'string'), 'parseCniEnv: CNI_ARGS with an empty key or a non-string value');
    need(e.path.every((p) => p !== ''), 'parseCniEnv: an empty CNI_PATH entry');
    return `env ok ${e.command}`;
  } catch (e) {
    if (e instanceof Problem) throw e;
    return `env error ${checkCniError(e, input, 'parseCniEnv')}`;
  }
}

function checkConfig(stdin: string): string {
  try {
    const c = parseNetworkConfig(stdin);
    need((SUPPORTED_VERSIONS as readonly string[]).includes(c.cniVersion) && typeof c.name === 'string' && c.name !== '', 'parseNetworkConfig: accepted without a supported cniVersion and a name');
    return 'config ok';
  } catch (e) {
    if (e instanceof Problem) throw e;
    return `config error ${checkCniError(e, stdin, 'parseNetworkConfig')}`;
  }
}

function checkRequest(c: Case): string {
  let req: ReturnType<typeof parseRequest>;
  try { req = parseRequest(Buffer.from(c.request, 'utf8')); } catch (e) { throw crash(e, 'parseRequest'); }
  if (req === null) return 'request unreadable';
  need(Object.entries(req.env).every(([k, v]) => k !== '' && !k.includes('\n') && !v.includes('\n') && !k.includes('=')), 'parseRequest: a variable with a newline, an "=" in its name or no name');
  // A request as the shim frames it comes back exactly.
  const clean = Object.entries(c.env).every(([k, v]) => !k.includes('\n') && !k.includes('=') && k !== '' && !v.includes('\n'));
  if (c.request === request(c.env, c.stdin) && clean) {
    const want = Object.fromEntries(Object.entries(c.env).filter(([k]) => k.startsWith('CNI_')));
    need(JSON.stringify(req.env) === JSON.stringify(want) && req.stdin === c.stdin, 'parseRequest: a well-framed request reads back different');
  }
  checkEnv(req.env, c.request);
  checkConfig(req.stdin);
  return 'request read';
}

// ---------------------------------------------------------------- the whole plugins

interface Snapshot { readonly rev: number; readonly items: string }
async function snapshot(store: Store): Promise<Snapshot> {
  const { items, revision } = await store.list('');
  return { rev: revision, items: JSON.stringify(items.map((kv) => [kv.key, kv.revision, kv.value])) };
}
async function unchanged(store: Store, before: Snapshot, where: string): Promise<void> {
  const after = await snapshot(store);
  if (after.rev === before.rev && after.items === before.items) return;
  const was = new Map((JSON.parse(before.items) as Array<[string, number]>).map(([k, r]) => [k, r]));
  const now = JSON.parse(after.items) as Array<[string, number]>;
  const changed = [...now.filter(([k, r]) => was.get(k) !== r).map(([k]) => k), ...[...was.keys()].filter((k) => !now.some(([n]) => n === k)).map((k) => `-${k}`)];
  throw new Problem(`${where}: failed but changed the store (revision ${before.rev} → ${after.rev}): ${changed.slice(0, 6).join(', ')}`);
}

/** The embedded store of tortie-ipam (and the CLI): fixed here, whatever the input says, so that no input reaches another datastore or file. */
function pinDatastore(stdin: string, storePath: string): string | null {
  let conf: unknown;
  try { conf = JSON.parse(stdin); } catch { return stdin; } // not JSON: refused before any datastore is opened
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) return stdin;
  const pin = (o: Record<string, unknown>): void => {
    for (const k of ['etcd_endpoints', 'etcd_ca_cert_file', 'etcd_cert_file', 'etcd_key_file', 'nodename_file', 'nodename_file_optional']) delete o[k];
    o['datastore_type'] = 'embedded';
    o['store_path'] = storePath;
  };
  pin(conf as Record<string, unknown>);
  const ipam = (conf as Record<string, unknown>)['ipam'];
  if (typeof ipam === 'object' && ipam !== null && !Array.isArray(ipam)) pin(ipam as Record<string, unknown>);
  try { return JSON.stringify(conf); } catch { return null; } // nested deeper than JSON.stringify goes: not run (it must not reach the default store)
}

async function throughIpamPlugin(c: Case, storePath: string, reader: Store): Promise<string> {
  const stdin = pinDatastore(c.stdin, storePath);
  if (stdin === null) return 'ipam skipped (too deep to pin)';
  const before = await snapshot(reader);
  let out;
  try {
    out = await runIpamPlugin({ env: { ...c.env, TORTIE_CONFIG: '/dev/null' }, stdin });
  } catch (e) { throw crash(e, 'runIpamPlugin'); }
  need(out.exitCode === 0 || out.exitCode === 1, `tortie-ipam exits ${out.exitCode}`);
  if (out.exitCode === 1) {
    const code = checkErrorAnswer(out.stdout, stdin + JSON.stringify(c.env), 'tortie-ipam');
    await unchanged(reader, before, `tortie-ipam (code ${code})`);
    return `ipam error ${code}`;
  }
  const cmd = c.env['CNI_COMMAND'];
  if (cmd === 'ADD') {
    const res = JSON.parse(out.stdout) as { cniVersion?: unknown; ips?: Array<{ address?: unknown }> };
    const conf = JSON.parse(stdin) as { cniVersion: string; name: string };
    need(res.cniVersion === conf.cniVersion, `tortie-ipam ADD answered in ${String(res.cniVersion)}, asked ${conf.cniVersion}`);
    need(Array.isArray(res.ips) && res.ips.length === 1 && typeof res.ips[0]!.address === 'string' && /^10\.44\.\d+\.\d+\/\d+$/.test(res.ips[0]!.address), `tortie-ipam ADD gave ${out.stdout.slice(0, 200)}`);
    const held = await new IpamService(reader, new ResourceClient(reader)).ipsOfHandle(`${conf.name}.${c.env['CNI_CONTAINERID']}`);
    need(held.includes(String(res.ips![0]!.address).split('/')[0]!), `tortie-ipam ADD's address is not held by its handle (${held.join(', ')})`);
  } else if (cmd === 'VERSION') {
    need(Array.isArray((JSON.parse(out.stdout) as { supportedVersions?: unknown }).supportedVersions), 'VERSION without supportedVersions');
  } else {
    need(out.stdout === '', `tortie-ipam ${String(cmd)} succeeded with output ${out.stdout.slice(0, 200)}`);
  }
  return `ipam ok ${String(cmd)}`;
}

// The fake iproute2: records `ip -batch` input, answers like a kernel that has no such device.
const FAKE_IP = `#!/bin/sh
# The CNI fuzz test's ip(8): never touches the kernel.
case "$*" in
  *-batch*) { echo "--batch $*"; /bin/cat; } >> "$TORTIE_FUZZ_IP_LOG"; echo '[{"ifname":"eth0","address":"02:00:00:00:00:01"}]'; exit 0 ;;
  "link del "*) echo "Cannot find device \\"$3\\"" >&2; exit 1 ;;
  *) echo "Device does not exist." >&2; exit 1 ;;
esac
`;
const FAKE_NSENTER = `#!/bin/sh
# The CNI fuzz test's nsenter: runs the command (the fake ip) where it is.
shift
exec "$@"
`;

const IFNAME = /^[^\s/:]{1,15}$/;
/** Every line the handler writes to `ip -batch`, as templates (pod-network.ts). */
const BATCH_LINES: ReadonlyArray<RegExp> = [
  /^link add (\S+) mtu \d+ type veth peer name (\S+) mtu \d+ netns (\S+)$/,
  /^link set (\S+) address ee:ee:ee:ee:ee:ee$/,
  /^link set (\S+) up$/,
  /^route replace \d+\.\d+\.\d+\.\d+\/32 dev (\S+) scope link$/,
  /^addr add \d+\.\d+\.\d+\.\d+\/32 dev (\S+)$/,
  /^route add 169\.254\.1\.1 dev (\S+) scope link$/,
  /^route add default via 169\.254\.1\.1 dev (\S+)$/,
  /^link show dev (\S+)$/,
];

function checkBatches(log: string): void {
  for (const line of log.split('\n')) {
    if (line === '' || line.startsWith('--batch ')) continue;
    const m = BATCH_LINES.map((re) => re.exec(line)).find((x) => x !== null);
    need(m !== undefined, `the handler wrote an ip -batch line it does not mean to: ${JSON.stringify(line.slice(0, 200))}`);
    const names = m!.slice(1);
    if (m![0].startsWith('link add')) names.pop(); // the netns path
    for (const n of names) need(IFNAME.test(n!), `the handler wrote an interface name iproute2 cannot take: ${JSON.stringify(n)}`);
  }
}

/** The agent's end as the worker sees it: its socket, its store (a second connection) and the fake ip's log. */
interface AgentEnd { readonly socket: string; readonly storePath: string; readonly ipLog: string }
interface Agent extends AgentEnd { readonly store: Store; readonly notReady: Int32Array }

function ask(socket: string, req: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(socket, () => s.end(req));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('error', reject);
  });
}

/** The server's limit (server.ts MAX_REQUEST): past it, it drops the connection. */
const MAX_REQUEST = 4 * 1024 * 1024;

async function throughAgent(c: Case, a: Agent): Promise<string> {
  const before = await snapshot(a.store);
  writeFileSync(a.ipLog, '');
  let answer: string;
  try { answer = await ask(a.socket, c.request); } catch (e) {
    need(Buffer.byteLength(c.request) > MAX_REQUEST, `the agent dropped the connection: ${String(e)}`);
    await unchanged(a.store, before, 'agent (request too large)');
    return 'agent request too large';
  }
  const nl = answer.indexOf('\n');
  need(nl > 0 && /^[01]$/.test(answer.slice(0, nl)), `the agent answered ${JSON.stringify(answer.slice(0, 200))}`);
  const exit = Number(answer.slice(0, nl));
  const stdout = answer.slice(nl + 1).replace(/\n$/, '');
  checkBatches(readFileSync(a.ipLog, 'utf8'));
  const req = parseRequest(Buffer.from(c.request, 'utf8'));
  const cmd = req?.env['CNI_COMMAND'];
  if (exit === 1) {
    const code = checkErrorAnswer(stdout, c.request, 'agent');
    await unchanged(a.store, before, `agent ${String(cmd)} (code ${code})`);
    return `agent error ${code}`;
  }
  if (cmd === 'ADD') {
    const res = JSON.parse(stdout) as { ips?: Array<{ address?: string }>; interfaces?: unknown[] };
    need(Array.isArray(res.ips) && res.ips.length > 0 && Array.isArray(res.interfaces), `agent ADD answered ${stdout.slice(0, 200)}`);
    const weps = await new ResourceClient(a.store).list(WorkloadEndpoint);
    const wep = weps.find((w) => w.spec['containerID'] === req!.env['CNI_CONTAINERID'] && w.spec['endpoint'] === req!.env['CNI_IFNAME']);
    need(wep !== undefined, 'agent ADD succeeded without a WorkloadEndpoint');
    const v = validateDocument(wep);
    need(v.ok, `agent ADD wrote an invalid WorkloadEndpoint: ${v.ok ? '' : JSON.stringify(v.issues)}`);
  } else if (cmd !== 'VERSION') {
    need(stdout === '', `agent ${String(cmd)} succeeded with output ${stdout.slice(0, 200)}`);
  }
  return `agent ok ${String(cmd)}`;
}

/**
 * The agent's CNI server and handler, as src/agent/run.ts wires them, on an embedded store. It runs
 * in the test's main thread (the server sets the umask, which workers may not), with `ip` and
 * `nsenter` on PATH being the fakes; the worker talks to it over the socket like the shim.
 */
async function startAgent(dir: string, notReady: Int32Array): Promise<{ end: AgentEnd; close: () => Promise<void> }> {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  mkdirSync(join(dir, 'cni-path'));
  writeFileSync(join(bin, 'ip'), FAKE_IP);
  writeFileSync(join(bin, 'nsenter'), FAKE_NSENTER);
  chmodSync(join(bin, 'ip'), 0o755);
  chmodSync(join(bin, 'nsenter'), 0o755);
  const saved = { PATH: process.env['PATH'], LOG: process.env['TORTIE_FUZZ_IP_LOG'] };
  process.env['PATH'] = bin;
  process.env['TORTIE_FUZZ_IP_LOG'] = join(dir, 'ip.log');
  const end: AgentEnd = { socket: join(dir, 'cni.sock'), storePath: join(dir, 'agent.db'), ipLog: join(dir, 'ip.log') };
  const store = new SqliteStore({ path: end.storePath });
  await baseline(store);
  const resources = new ResourceClient(store);
  const sysctl = { read: async (): Promise<string | null> => '0', write: async (): Promise<void> => {} };
  const server = await startCniServer(end.socket, (env, stdin) => new CniHandler({
    nodeName: NODE, resources, ipam: new IpamService(store, resources), sysctl, podMtu: () => 1450,
    notReady: () => (Atomics.load(notReady, 0) === 1 ? 'the agent has not synced with the datastore yet' : null),
  }).handle({ ...env, ...(env['CNI_PATH'] !== undefined ? { CNI_PATH: join(dir, 'cni-path') } : {}) }, stdin));
  return {
    end,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
      process.env['PATH'] = saved.PATH;
      if (saved.LOG === undefined) delete process.env['TORTIE_FUZZ_IP_LOG']; else process.env['TORTIE_FUZZ_IP_LOG'] = saved.LOG;
    },
  };
}

async function baseline(store: Store): Promise<void> {
  const docs = [
    { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'default-ipv4-ippool' }, spec: { cidr: POOL } },
    { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: NODE }, spec: {} },
  ].map((d) => { const v = validateDocument(d); if (!v.ok) throw new Error(JSON.stringify(v.issues)); return v.resource; });
  await new ResourceClient(store).apply(docs);
}

// ---------------------------------------------------------------- the worker and the test

interface WorkerInput { readonly seed: number; readonly runs: number; readonly heartbeat: SharedArrayBuffer; readonly agent: AgentEnd; readonly notReady: SharedArrayBuffer }
type WorkerMessage =
  | { readonly type: 'failure'; readonly failure: Failure }
  | { readonly type: 'done'; readonly stats: Record<string, number>; readonly corpus: number; readonly slowest: { index: number; ms: number } };

function corpusCases(): Array<{ name: string; c: Case }> {
  let names: string[] = [];
  try { names = readdirSync(CORPUS_DIR).filter((n) => n.endsWith('.json')).sort(); } catch { return []; }
  return names.map((name) => {
    const j = JSON.parse(readFileSync(new URL(name, CORPUS_DIR), 'utf8')) as { env: Record<string, string>; stdin: string; request?: string };
    return { name, c: { label: `corpus ${name}`, env: j.env, stdin: j.stdin, request: j.request ?? request(j.env, j.stdin), ipam: true, agent: true } };
  });
}

async function workerMain(input: WorkerInput): Promise<void> {
  const beat = new Int32Array(input.heartbeat);
  const dir = tempDir('cni-fuzz');
  const storePath = join(dir.path, 'ipam.db');
  const seeder = new SqliteStore({ path: storePath });
  await baseline(seeder);
  await seeder.close();
  const reader = new SqliteStore({ path: storePath });
  const agent: Agent = { ...input.agent, store: new SqliteStore({ path: input.agent.storePath }), notReady: new Int32Array(input.notReady) };
  const stats: Record<string, number> = {};
  const count = (k: string): void => { stats[k] = (stats[k] ?? 0) + 1; };
  let slowest = { index: -1, ms: 0 };
  const one = async (index: number, c: Case): Promise<void> => {
    try {
      count(checkEnv(c.env, JSON.stringify(c.env)));
      count(checkConfig(c.stdin));
      count(checkRequest(c));
      if (c.ipam) count(await throughIpamPlugin(c, storePath, reader));
      if (c.agent) {
        Atomics.store(agent.notReady, 0, index % 7 === 0 ? 1 : 0);
        count(await throughAgent(c, agent));
      }
    } catch (e) {
      const failure: Failure = { index, label: c.label, problem: e instanceof Problem ? e.message : `the check itself failed: ${e instanceof Error ? e.stack : String(e)}`, input: { env: c.env, stdin: c.stdin, request: c.request } };
      parentPort!.postMessage({ type: 'failure', failure } satisfies WorkerMessage);
    }
  };
  try {
    const corpus = corpusCases();
    for (const [n, { c }] of corpus.entries()) { Atomics.store(beat, 0, -1 - n); await one(-1 - n, c); }
    for (let i = 0; i < input.runs; i++) {
      Atomics.store(beat, 0, i);
      const t0 = performance.now();
      let c: Case;
      try { c = makeCase(input.seed, i); } catch (e) {
        parentPort!.postMessage({ type: 'failure', failure: { index: i, label: 'generator', problem: `the generator itself failed: ${e instanceof Error ? e.stack : String(e)}`, input: { env: {}, stdin: '', request: '' } } } satisfies WorkerMessage);
        continue;
      }
      await one(i, c);
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { index: i, ms };
    }
    parentPort!.postMessage({ type: 'done', stats, corpus: corpus.length, slowest } satisfies WorkerMessage);
  } finally {
    await agent.store.close();
    await reader.close();
    dir.remove();
  }
}

async function mainThread(): Promise<void> {
  const { test } = await import('node:test');
  test(`CNI stdin/env/request: ${RUNS} fuzzed inputs (seed ${SEED}; TORTIE_FUZZ_SEED/TORTIE_FUZZ_RUNS)`, { timeout: 1_800_000 }, async (t) => {
    t.diagnostic(`seed ${SEED} (0x${SEED.toString(16)}): ${RUNS} inputs through parseCniEnv, parseNetworkConfig and parseRequest; 1 in ${IPAM_EVERY} through runIpamPlugin on SQLite; 1 in ${AGENT_EVERY} through the agent's socket and CniHandler`);
    const heartbeat = new SharedArrayBuffer(4);
    const beat = new Int32Array(heartbeat);
    const notReady = new SharedArrayBuffer(4);
    const agentDir = tempDir('cni-fuzz-agent');
    const agent = await startAgent(agentDir.path, new Int32Array(notReady));
    t.after(async () => { await agent.close(); agentDir.remove(); });
    const failures: Failure[] = [];
    let workerOut = '';
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    const end = await new Promise<Extract<WorkerMessage, { type: 'done' }> | { type: 'died'; why: string }>((resolve) => {
      const w = new Worker(new URL(import.meta.url), {
        workerData: { seed: SEED, runs: RUNS, heartbeat, agent: agent.end, notReady } satisfies WorkerInput,
        execArgv: process.execArgv.filter((a) => a === '--enable-source-maps'),
        resourceLimits: { stackSizeMb: 1, maxOldGenerationSizeMb: 1024 },
        env: { ...process.env },
        stdout: true, stderr: true,
      });
      w.stdout.on('data', (d: Buffer) => { workerOut += d.toString(); });
      w.stderr.on('data', (d: Buffer) => { workerOut += d.toString(); });
      let last = Atomics.load(beat, 0), lastAt = performance.now(), finished = false;
      const finish = (e: Extract<WorkerMessage, { type: 'done' }> | { type: 'died'; why: string }): void => { if (!finished) { finished = true; clearInterval(watch); resolve(e); } };
      const watch = setInterval(() => {
        const now = Atomics.load(beat, 0);
        if (now !== last) { last = now; lastAt = performance.now(); return; }
        if (performance.now() - lastAt > HANG_MS) { void w.terminate(); finish({ type: 'died', why: `no progress for ${HANG_MS} ms` }); }
      }, 500);
      w.on('message', (m: WorkerMessage) => { if (m.type === 'failure') failures.push(m.failure); else finish(m); });
      w.on('error', (e) => finish({ type: 'died', why: `the worker died: ${e.message}` }));
      w.on('exit', (code) => finish({ type: 'died', why: `the worker exited (${code})` }));
    });
    const cpu = process.cpuUsage(cpu0);
    t.diagnostic(`wall ${((performance.now() - started) / 1000).toFixed(1)} s, cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
    if (workerOut !== '') failures.push({ index: -1, label: 'output', problem: `the worker printed: ${workerOut.slice(0, 1000)}`, input: { env: {}, stdin: '', request: '' } });
    if (end.type === 'died') {
      const i = Atomics.load(beat, 0);
      let c: Case | undefined;
      try { c = i >= 0 ? makeCase(SEED, i) : corpusCases()[-1 - i]?.c; } catch { c = undefined; }
      failures.push({ index: i, label: c?.label ?? '?', problem: `hang or crash of the worker: ${end.why}`, input: { env: c?.env ?? {}, stdin: c?.stdin ?? '', request: c?.request ?? '' } });
    } else {
      t.diagnostic(`corpus: ${end.corpus} inputs replayed first; slowest input #${end.slowest.index} ${end.slowest.ms.toFixed(0)} ms`);
      t.diagnostic(`outcomes: ${Object.entries(end.stats).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
      if (RUNS >= 1000) {
        const ok = (prefix: string): number => Object.entries(end.stats).filter(([k]) => k.startsWith(prefix)).reduce((a, [, n]) => a + n, 0);
        assert.ok(ok('ipam ok ADD') > 0 && ok('agent ok ADD') > 0, 'no ADD succeeded: the generator does not reach the store');
      }
    }
    const save = process.env['TORTIE_FUZZ_SAVE'];
    if (save && failures.length > 0) {
      mkdirSync(save, { recursive: true });
      for (const f of failures) writeFileSync(join(save, `seed${SEED}-input${f.index}.json`), `${JSON.stringify(f.input, null, 2)}\n`);
    }
    const byKind = new Map<string, Failure[]>();
    for (const f of failures) {
      const sig = f.problem.split('\n')[0]!.replace(/"[^"]*"|\d+/g, '…').slice(0, 120);
      byKind.set(sig, [...(byKind.get(sig) ?? []), f]);
    }
    const shown = [...byKind.entries()].map(([sig, fs]) => {
      const f = fs.reduce((a, b) => (b.input.request.length < a.input.request.length ? b : a));
      return `${fs.length}× ${sig}\n  e.g. input #${f.index} (${f.label}, seed ${SEED}): ${f.problem.slice(0, 1500)}\n--- input ---\n${JSON.stringify(f.input).slice(0, 900)}`;
    });
    assert.deepEqual(shown, [], `${failures.length} failing inputs`);
  });
}

if (isMainThread) await mainThread();
else await workerMain(workerData as WorkerInput);
