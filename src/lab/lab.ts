// `tortie lab`: a real cluster in network namespaces on one machine — a router namespace for the
// underlay, one namespace per node running the real `tortie agent`, and pods made by the real CNI
// plugin, exactly as a container runtime would call it.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { TortieError } from '../lib/errors.js';
import { resolveDatastoreConfig, settingsFromEnv } from '../datastore/config.js';
import { openStore } from '../datastore/connect/index.js';
import type { Store } from '../datastore/ports.js';
import { validateDocument, agentStatusKey, type Resource } from '../model/index.js';
import { ResourceClient } from '../resources/index.js';
import {
  alive, attachHost, createRouter, labNamespaces, nodeNs, podNs, routerNs, sh, startIn, subnetPrefix, trySh,
} from './topology.js';
import { reflectorsOf, topologyResources, waitForBgp } from './bgp.js';
import { checkLabName, findPod, labDir, labEnv, loadLab, parsePodRef, saveLab, type Encap, type LabPod, type LabState } from './state.js';

const TORTIE_JS = fileURLToPath(new URL('../bin/tortie.js', import.meta.url));
const SHIM = fileURLToPath(new URL('../../tortie-cni', import.meta.url));

export interface UpOptions {
  readonly name: string;
  readonly nodes: number;
  readonly encap: Encap;
  readonly topology: 'mesh' | 'rr';
  readonly subnets: 1 | 2;
  readonly datastore: 'embedded' | 'etcd';
  readonly pool: string;
  /** Run the agents' BGP speakers (Calico's default); false: routes from the datastore. */
  readonly bgp: boolean;
  /** Extra flags for every agent. */
  readonly agentArgs?: readonly string[];
  readonly log?: (line: string) => void;
}

export async function withLabStore<T>(s: LabState, fn: (r: ResourceClient, store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(resolveDatastoreConfig(settingsFromEnv(labEnv(s))));
  try { return await fn(new ResourceClient(store), store); } finally { await store.close(); }
}

function doc(apiVersion: string, kind: string, name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): Resource {
  const v = validateDocument({ apiVersion, kind, metadata: { name, ...meta }, spec });
  if (!v.ok) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `lab: ${kind} ${name} does not validate: ${JSON.stringify(v.issues)}`);
  return v.resource;
}

function poolSpec(o: UpOptions): Record<string, unknown> {
  const spec: Record<string, unknown> = { cidr: o.pool, natOutgoing: false };
  if (o.encap === 'vxlan') spec['vxlanMode'] = 'Always';
  if (o.encap === 'vxlan-crosssubnet') spec['vxlanMode'] = 'CrossSubnet';
  if (o.encap === 'ipip') spec['ipipMode'] = 'Always';
  if (o.encap === 'ipip-crosssubnet') spec['ipipMode'] = 'CrossSubnet';
  return spec;
}

function kernelHasIpip(): boolean {
  // A throwaway namespace: the first ipip link of a namespace creates its tunl0, which goes with it.
  const ns = `tt-ipipprobe-${process.pid}`;
  try {
    sh(['ip', 'netns', 'add', ns]);
    return trySh(['ip', '-n', ns, 'link', 'add', 'tt-ipip', 'type', 'ipip', 'remote', '10.255.255.1']);
  } finally {
    trySh(['ip', 'netns', 'del', ns]);
  }
}

async function startEtcd(s: LabState): Promise<void> {
  const dir = join(s.dir, 'etcd');
  mkdirSync(dir, { recursive: true });
  // It listens on a unix socket in the lab's directory: every namespace (and `tortie` run from the
  // host) reaches it through the file system, and no address of the host is involved.
  const pid = startIn(routerNs(s.name), ['etcd', '--name', s.name, '--data-dir', join(dir, 'data'),
    '--listen-client-urls', 'unix://localhost:2379', '--advertise-client-urls', 'unix://localhost:2379',
    '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
    '--initial-cluster', `${s.name}=http://127.0.0.1:2380`, '--listen-metrics-urls', 'http://127.0.0.1:2381', '--log-level', 'warn'],
  join(s.dir, 'etcd.log'), {}, dir);
  s.processes.push({ role: 'etcd', pid });
  saveLab(s);
  for (let i = 0; i < 100; i++) {
    if (existsSync(join(dir, 'localhost:2379'))) {
      try { await withLabStore(s, (_r, st) => st.revision()); return; } catch { /* not serving yet */ }
    }
    await sleep(200);
  }
  throw new TortieError('TORTIE_ERR_LAB_FAILED', `etcd did not start in 20 s (log: ${join(s.dir, 'etcd.log')})`);
}

export async function labUp(o: UpOptions): Promise<LabState> {
  checkLabName(o.name);
  const log = o.log ?? (() => {});
  if (existsSync(join(labDir(o.name), 'lab.json'))) throw new TortieError('TORTIE_ERR_LAB_FAILED', `Lab ${o.name} already exists: tortie lab down --name ${o.name} first`);
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 20) throw new TortieError('TORTIE_ERR_CLI_USAGE', `--nodes must be 1–20, not ${o.nodes}`);
  if (o.topology === 'rr' && !o.bgp) throw new TortieError('TORTIE_ERR_CLI_USAGE', '--topology rr needs BGP (route reflectors are a BGP topology): drop --no-bgp');
  if (o.encap.startsWith('ipip') && !kernelHasIpip()) {
    throw new TortieError('TORTIE_ERR_LAB_FAILED', 'IPIP unavailable: this kernel lacks ipip (ip link add … type ipip: Unknown device type); use --encap vxlan or vxlan-crosssubnet');
  }
  if (!existsSync(SHIM)) throw new TortieError('TORTIE_ERR_LAB_FAILED', `The CNI shim ${SHIM} is not built: run npm run build`);
  for (const ns of labNamespaces(o.name)) trySh(['ip', 'netns', 'del', ns]); // leftovers of a crash
  const s: LabState = {
    name: o.name, dir: labDir(o.name), datastore: o.datastore, encap: o.encap, topology: o.topology, bgp: o.bgp, subnets: o.subnets, pool: o.pool,
    nodes: [], routers: [], pods: [], processes: [],
  };
  rmSync(s.dir, { recursive: true, force: true });
  saveLab(s); // from here on, lab down knows what to remove
  createRouter(o.name, o.subnets);
  for (let i = 1; i <= o.nodes; i++) {
    const subnet = (o.subnets === 2 ? (i - 1) % 2 : 0) as 0 | 1;
    const address = `${subnetPrefix(subnet)}.${10 + i}/24`;
    attachHost(o.name, nodeNs(o.name, i), `${o.name}-n${i}`, subnet, address);
    s.nodes.push({ name: `node${i}`, netns: nodeNs(o.name, i), address, subnet });
  }
  saveLab(s);
  log(`underlay: router ${routerNs(o.name)}, ${o.nodes} node namespaces on ${o.subnets} subnet(s)`);
  if (o.datastore === 'etcd') { await startEtcd(s); log('etcd running in the router namespace'); }
  await withLabStore(s, async (r) => {
    await r.apply([doc('projectcalico.org/v3', 'IPPool', 'default-ipv4-ippool', poolSpec(o)), doc('v1', 'Namespace', 'default', {}), ...topologyResources(s)]);
  });
  for (const n of s.nodes) {
    const dir = join(s.dir, n.name);
    mkdirSync(dir, { recursive: true });
    const pid = startIn(n.netns, [process.execPath, TORTIE_JS, 'agent', '--node', n.name, '--ip', n.address, '--state-dir', dir,
      '--cni-socket', join(dir, 'cni.sock'), '--refresh-interval', '10', '--reporting-interval', '2', ...(o.bgp ? ['--bgp'] : []), ...(o.agentArgs ?? [])],
    join(s.dir, `${n.name}.log`), { ...labEnv(s), TORTIE_CONFIG: '/dev/null' });
    s.processes.push({ role: `agent:${n.name}`, pid });
  }
  saveLab(s);
  // One datastore connection for all the waiting (agents ready, then every BGP session up).
  await withLabStore(s, async (_r, store) => {
    const deadline = performance.now() + 90_000;
    for (const n of s.nodes) {
      for (;;) {
        const st = (await store.get(agentStatusKey(n.name)).catch(() => null))?.value as { state?: string } | undefined;
        if (st?.state === 'ready') break;
        const proc = s.processes.find((p) => p.role === `agent:${n.name}`)!;
        if (!alive(proc.pid) || performance.now() > deadline) {
          const tail = readFileSync(join(s.dir, `${n.name}.log`), 'utf8').split('\n').slice(-8).join('\n');
          throw new TortieError('TORTIE_ERR_LAB_FAILED', `The agent of ${n.name} ${alive(proc.pid) ? 'is not ready after 90 s' : 'exited'}; its log ends:\n${tail}`);
        }
        await sleep(200);
      }
    }
    log(`${o.nodes} agents ready`);
    if (o.bgp) {
      await waitForBgp(s, store, 60_000);
      log(o.topology === 'rr' ? `BGP: route reflector(s) ${reflectorsOf(s).join(', ')}, every session Established` : 'BGP: full mesh, every session Established');
    }
  });
  return s;
}

export async function labDown(name: string): Promise<string[]> {
  checkLabName(name);
  const removed: string[] = [];
  let s: LabState | null = null;
  try { s = loadLab(name); } catch { /* a crashed lab may have no state: still remove its namespaces */ }
  // Every process is asked to stop at once (agents take a moment each), then waited for together;
  // etcd goes last, as the agents may still write their final status to it.
  const stopAll = async (procs: ReadonlyArray<{ role: string; pid: number }>): Promise<void> => {
    const running = procs.filter((p) => alive(p.pid));
    for (const p of running) { try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ } }
    for (let i = 0; i < 30 && running.some((p) => alive(p.pid)); i++) await sleep(100);
    for (const p of running) {
      if (alive(p.pid)) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
      removed.push(`process ${p.role} (${p.pid})`);
    }
  };
  const procs = s?.processes ?? [];
  await stopAll(procs.filter((p) => p.role !== 'etcd'));
  await stopAll(procs.filter((p) => p.role === 'etcd'));
  for (const ns of labNamespaces(name)) { if (trySh(['ip', 'netns', 'del', ns])) removed.push(`netns ${ns}`); }
  if (existsSync(labDir(name))) { rmSync(labDir(name), { recursive: true, force: true }); removed.push(`dir ${labDir(name)}`); }
  return removed;
}

export interface PodAddOptions { readonly node?: string; readonly labels: Record<string, string>; readonly ports: Array<{ name: string; port: number; protocol: string }> }

export async function podAdd(s: LabState, ref: string, o: PodAddOptions): Promise<LabPod> {
  const { namespace, name } = parsePodRef(ref);
  if (s.pods.some((p) => p.namespace === namespace && p.name === name)) throw new TortieError('TORTIE_ERR_LAB_FAILED', `Pod ${namespace}/${name} already exists in lab ${s.name}`);
  const node = o.node ? s.nodes.find((n) => n.name === o.node) : s.nodes[s.pods.length % s.nodes.length];
  if (!node) throw new TortieError('TORTIE_ERR_LAB_NOT_FOUND', `Lab ${s.name} has no node ${o.node} (nodes: ${s.nodes.map((n) => n.name).join(', ')})`);
  await withLabStore(s, (r) => r.create([doc('v1', 'Namespace', namespace, {})], { skipExisting: true }));
  const netns = podNs(s.name, namespace, name);
  sh(['ip', 'netns', 'add', netns]);
  const containerId = `${s.name}-${namespace}-${name}`;
  const conf = {
    cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'tortie', agent_socket: join(s.dir, node.name, 'cni.sock'), ipam: { type: 'tortie-ipam' },
    args: { cni: { labels: Object.entries(o.labels).map(([key, value]) => ({ key, value })), ports: o.ports } },
  };
  const r = spawnSync('ip', ['netns', 'exec', node.netns, SHIM], {
    input: JSON.stringify(conf), encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', CNI_COMMAND: 'ADD', CNI_CONTAINERID: containerId, CNI_NETNS: `/var/run/netns/${netns}`, CNI_IFNAME: 'eth0',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${namespace};K8S_POD_NAME=${name}`, CNI_PATH: '/usr/lib/cni' },
  });
  let result: { ips?: Array<{ address: string }>; interfaces?: Array<{ name: string }>; msg?: string } = {};
  try { result = JSON.parse(r.stdout) as typeof result; } catch { /* reported below */ }
  if (r.status !== 0 || !result.ips?.[0]) {
    trySh(['ip', 'netns', 'del', netns]);
    throw new TortieError('TORTIE_ERR_LAB_FAILED', `The CNI plugin refused ${namespace}/${name} on ${node.name}: ${result.msg ?? r.stdout ?? r.stderr}`);
  }
  const pod: LabPod = {
    namespace, name, node: node.name, netns, ip: result.ips[0].address.split('/')[0]!, containerId, iface: result.interfaces?.[0]?.name ?? '',
  };
  s.pods.push(pod);
  saveLab(s);
  return pod;
}

export async function podRemove(s: LabState, ref: string): Promise<void> {
  const pod = findPod(s, ref);
  const node = s.nodes.find((n) => n.name === pod.node)!;
  const conf = { cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'tortie', agent_socket: join(s.dir, node.name, 'cni.sock'), ipam: { type: 'tortie-ipam' } };
  const r = spawnSync('ip', ['netns', 'exec', node.netns, SHIM], {
    input: JSON.stringify(conf), encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', CNI_COMMAND: 'DEL', CNI_CONTAINERID: pod.containerId, CNI_NETNS: `/var/run/netns/${pod.netns}`, CNI_IFNAME: 'eth0',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name}`, CNI_PATH: '/usr/lib/cni' },
  });
  if (r.status !== 0) throw new TortieError('TORTIE_ERR_LAB_FAILED', `The CNI plugin could not delete ${pod.namespace}/${pod.name}: ${r.stdout}`);
  for (const p of s.processes.filter((x) => x.role.startsWith(`serve:${pod.namespace}/${pod.name}:`))) { try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ } }
  s.processes = s.processes.filter((x) => !x.role.startsWith(`serve:${pod.namespace}/${pod.name}:`));
  trySh(['ip', 'netns', 'del', pod.netns]);
  s.pods = s.pods.filter((p) => p !== pod && !(p.namespace === pod.namespace && p.name === pod.name));
  saveLab(s);
}

/** The node or external router a reference names, if it names one. */
const hostOf = (s: LabState, ref: string): { netns: string; address: string } | undefined =>
  s.nodes.find((n) => n.name === ref) ?? s.routers.find((r) => r.name === ref);

/** The address a reference names: a pod (NS/NAME), a node (nodeN), a router or an IP. */
export function addressOf(s: LabState, ref: string): string {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ref)) return ref;
  const host = hostOf(s, ref);
  return host ? host.address.split('/')[0]! : findPod(s, ref).ip;
}

/** The namespace a reference runs in: a pod's, a node's or a router's. */
export function netnsOf(s: LabState, ref: string): string {
  return hostOf(s, ref)?.netns ?? findPod(s, ref).netns;
}

export function execIn(netns: string, argv: readonly string[]): number {
  const r = spawnSync('ip', ['netns', 'exec', netns, ...argv], { stdio: 'inherit' });
  return r.status ?? 1;
}

// A tiny echo server for `lab serve`: answers every TCP connection or UDP datagram with what it got.
const ECHO = `const [port, proto] = process.argv.slice(1);
if (proto === 'udp') { const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send(m, r.port, r.address)); s.bind(Number(port)); }
else { require('net').createServer((c) => c.pipe(c)).listen(Number(port)); }`;

export function serve(s: LabState, ref: string, port: number, protocol: 'tcp' | 'udp'): number {
  const pod = findPod(s, ref);
  const role = `serve:${pod.namespace}/${pod.name}:${port}/${protocol}`;
  const existing = s.processes.find((p) => p.role === role && alive(p.pid));
  if (existing) return existing.pid;
  const pid = startIn(pod.netns, [process.execPath, '-e', ECHO, String(port), protocol], join(s.dir, `serve-${pod.namespace}-${pod.name}-${port}-${protocol}.log`), {});
  s.processes.push({ role, pid });
  saveLab(s);
  return pid;
}

// One probe: TCP/UDP echo within a second (allowed) or not (blocked).
const PROBE = `const [ip, port, proto] = process.argv.slice(1);
const done = (ok) => process.exit(ok ? 0 : 1); setTimeout(() => done(false), 1000);
if (proto === 'udp') { const s = require('dgram').createSocket('udp4'); s.on('message', () => done(true)); s.send('probe', Number(port), ip); }
else { const c = require('net').connect(Number(port), ip, () => c.write('probe')); c.on('data', () => done(true)); c.on('error', () => done(false)); }`;

export function probe(s: LabState, from: string, to: string, port: number | null, protocol: 'tcp' | 'udp' | 'icmp'): boolean {
  const ns = netnsOf(s, from);
  const ip = addressOf(s, to);
  if (protocol === 'icmp') return trySh(['ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', ip]);
  return spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', PROBE, ip, String(port), protocol], { stdio: 'ignore' }).status === 0;
}

export function ping(s: LabState, from: string, to: string): { ok: boolean; output: string } {
  const r = spawnSync('ip', ['netns', 'exec', netnsOf(s, from), 'ping', '-c', '3', '-i', '0.2', '-W', '1', addressOf(s, to)], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

