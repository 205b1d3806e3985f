// The `tortie lab …` subcommands. Every one takes --name (default "lab"); several labs coexist.

import type { Command } from '@commander-js/extra-typings';
import Table from 'cli-table3';
import { TortieError } from '../lib/errors.js';
import { agentStatusKey, BGPConfiguration, Node } from '../model/index.js';
import { addressOf, execIn, labDown, netnsOf, labUp, ping, podAdd, podRemove, probe, serve, withLabStore } from './lab.js';
import { reflectorsOf, routerAdd, routerProtocols, routerRoutes, waitForBgp } from './bgp.js';
import { labEnv, loadLab, type Encap, type LabState } from './state.js';

const NAME_HELP = 'the lab (1–6 letters and digits)';
const ENCAPS: readonly Encap[] = ['none', 'vxlan', 'ipip', 'vxlan-crosssubnet', 'ipip-crosssubnet'];

function table(head: string[], rows: string[][]): string {
  const none = { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '' };
  const t = new Table({ head, chars: none, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 3, compact: true } });
  for (const r of rows) t.push(r);
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

export interface LabStatus {
  nodes: Array<{ name: string; namespace: string; address: string; asNumber: number; blocks: string[]; bgp: string; agent: string }>;
  routers: Array<{ name: string; namespace: string; address: string; asNumber: number }>;
  pods: Array<{ name: string; namespace: string; node: string; ip: string; netns: string }>;
}

export async function labStatus(s: LabState): Promise<LabStatus> {
  return withLabStore(s, async (r, store) => {
    const cluster = await r.get(BGPConfiguration, 'default').then((c) => c.spec['asNumber'] as number | undefined, () => undefined);
    const affinities = (await store.list('/calico/ipam/v2/host/')).items;
    const nodes = await Promise.all(s.nodes.map(async (n) => {
      const node = await r.get(Node, n.name).catch(() => null);
      const st = (await store.get(agentStatusKey(n.name)).catch(() => null))?.value as { state?: string; bgp?: { peers?: Array<{ bgpState: string }> } } | undefined;
      const peers = st?.bgp?.peers ?? null;
      return {
        name: n.name, namespace: n.netns, address: n.address,
        asNumber: ((node?.spec['bgp'] as { asNumber?: number } | undefined)?.asNumber) ?? cluster ?? 64512,
        blocks: affinities.filter((kv) => kv.key.includes(`/host/${n.name}/`) && (kv.value as { state?: string }).state !== 'pending')
          .map((kv) => kv.key.split('/').pop()!.replace(/-(\d+)$/, '/$1')).sort(),
        bgp: peers === null ? 'off' : `${peers.filter((p) => p.bgpState === 'Established').length}/${peers.length} Established${reflectorsOf(s).includes(n.name) ? ' (RR)' : ''}`,
        agent: st?.state ?? 'not reporting',
      };
    }));
    return {
      nodes,
      routers: s.routers.map((x) => ({ name: x.name, namespace: x.netns, address: x.address, asNumber: x.asNumber })),
      pods: s.pods.map((p) => ({ name: `${p.namespace}/${p.name}`, namespace: p.namespace, node: p.node, ip: p.ip, netns: p.netns })),
    };
  });
}

function printStatus(st: LabStatus): void {
  process.stdout.write(`${table(['NODE', 'ADDRESS', 'AS', 'BLOCKS', 'BGP', 'AGENT'], st.nodes.map((n) => [n.name, n.address, String(n.asNumber), n.blocks.join(',') || '-', n.bgp, n.agent]))}\n`);
  if (st.routers.length > 0) process.stdout.write(`\n${table(['ROUTER', 'ADDRESS', 'AS'], st.routers.map((r) => [r.name, r.address, String(r.asNumber)]))}\n`);
  if (st.pods.length > 0) process.stdout.write(`\n${table(['POD', 'NODE', 'IP'], st.pods.map((p) => [p.name, p.node, p.ip]))}\n`);
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (s ?? '').split(',').filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new TortieError('TORTIE_ERR_CLI_USAGE', `--labels takes k=v,k2=v2, not "${kv}"`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

function parsePort(s: string): { name: string; port: number; protocol: string } {
  const m = /^([a-z0-9-]{1,15}):(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(s);
  if (!m) throw new TortieError('TORTIE_ERR_CLI_USAGE', `--port takes NAME:PORT/PROTO (e.g. http:80/tcp), not "${s}"`);
  return { name: m[1]!.toLowerCase(), port: Number(m[2]), protocol: (m[3] ?? 'tcp').toUpperCase() };
}

function portProto(s: string): { port: number; protocol: 'tcp' | 'udp' } {
  const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(s);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new TortieError('TORTIE_ERR_CLI_USAGE', `--port takes PORT/PROTO (e.g. 80/tcp), not "${s}"`);
  return { port: Number(m[1]), protocol: (m[2] ?? 'tcp') as 'tcp' | 'udp' };
}

export function registerLabCommand(program: Command<[], {}>): void {
  const lab = program.command('lab').description('a real multi-node Tortie cluster in network namespaces on this machine');

  lab.command('up').description('build a lab: router, nodes with real agents, an IP pool').option('--name <lab>', NAME_HELP, 'lab')
    .option('--nodes <n>', 'number of nodes', '2')
    .option('--encap <mode>', `encapsulation: ${ENCAPS.join(' | ')}`, 'none')
    .option('--topology <t>', 'BGP topology: mesh | rr', 'mesh')
    .option('--subnets <n>', 'underlay subnets: 1 | 2 (nodes alternate; CrossSubnet needs 2)', '1')
    .option('--datastore <type>', 'embedded | etcd (a real etcd in the lab)', 'embedded')
    .option('--pool <cidr>', 'the pod address pool', '192.168.0.0/16')
    .option('--no-bgp', 'no BGP speakers: the agents program routes between nodes from the datastore')
    .action(async (o) => {
      const opts = o as Record<string, string | boolean | undefined>;
      const encap = String(opts['encap']) as Encap;
      if (!ENCAPS.includes(encap)) throw new TortieError('TORTIE_ERR_CLI_USAGE', `--encap must be one of ${ENCAPS.join(', ')}`);
      const topology = String(opts['topology']);
      if (topology !== 'mesh' && topology !== 'rr') throw new TortieError('TORTIE_ERR_CLI_USAGE', '--topology must be mesh or rr');
      const subnets = Number(opts['subnets']);
      if (subnets !== 1 && subnets !== 2) throw new TortieError('TORTIE_ERR_CLI_USAGE', '--subnets must be 1 or 2');
      const datastore = String(opts['datastore']);
      if (datastore !== 'embedded' && datastore !== 'etcd') throw new TortieError('TORTIE_ERR_CLI_USAGE', '--datastore must be embedded or etcd');
      const name = String(opts['name']);
      const stop = (): void => { void labDown(name).finally(() => process.exit(130)); };
      process.once('SIGINT', stop);
      try {
        const s = await labUp({
          name, nodes: Number(opts['nodes']), encap, topology, subnets, datastore, pool: String(opts['pool']),
          bgp: opts['bgp'] !== false,
          log: (l) => process.stderr.write(`${l}\n`),
        });
        printStatus(await labStatus(s));
      } catch (e) {
        await labDown(name).catch(() => {});
        throw e;
      } finally {
        process.removeListener('SIGINT', stop);
      }
    });

  lab.command('down').description('remove the lab: namespaces, processes, files (idempotent)').option('--name <lab>', NAME_HELP, 'lab').action(async (o) => {
    const removed = await labDown(o.name);
    process.stdout.write(removed.length ? `Removed lab ${o.name}: ${removed.length} item(s)\n` : `Lab ${o.name} had nothing left to remove\n`);
  });

  lab.command('status').description('nodes, routers and pods of the lab').option('--name <lab>', NAME_HELP, 'lab').option('-o, --output <format>', 'table | json', 'table').action(async (o) => {
    const st = await labStatus(loadLab(o.name));
    if (o.output === 'json') process.stdout.write(`${JSON.stringify(st, null, 2)}\n`);
    else printStatus(st);
  });

  lab.command('env').description('shell exports that point tortie at the lab\'s datastore: eval "$(tortie lab env)"').option('--name <lab>', NAME_HELP, 'lab').action((o) => {
    const env = labEnv(loadLab(o.name));
    process.stdout.write(Object.entries({ ...env, TORTIE_CONFIG: '/dev/null' }).map(([k, v]) => `export ${k}='${v}'`).join('\n') + '\n');
  });

  const router = lab.command('router').description('external BGP routers (BIRD) on the lab\'s underlay');
  router.command('add').description('an external router on subnet 0, peering with every node through a BGPPeer').option('--name <lab>', NAME_HELP, 'lab')
    .argument('<router>', 'its name (1–6 letters and digits)')
    .option('--asn <n>', 'its AS number (eBGP when it differs from the nodes\' 64512)', '65000')
    .action(async (name, o) => {
      const s = loadLab(o.name);
      const asn = Number(o.asn);
      const r = await withLabStore(s, async (res, store) => {
        const added = await routerAdd(s, res, name, asn);
        await waitForBgp(s, store, 60_000);
        return added;
      });
      process.stdout.write(`router ${r.name} (${r.address}, AS ${r.asNumber}) peers with ${s.nodes.length} node(s):\n${routerProtocols(s, r)}`);
    });
  router.command('show').description('what BIRD in a router says (birdc show protocols / routes)').option('--name <lab>', NAME_HELP, 'lab')
    .argument('<router>').action((name, o) => {
      const s = loadLab(o.name);
      const r = s.routers.find((x) => x.name === name);
      if (!r) throw new TortieError('TORTIE_ERR_LAB_NOT_FOUND', `Lab ${s.name} has no router ${name} (routers: ${s.routers.map((x) => x.name).join(', ') || 'none'})`);
      process.stdout.write(routerProtocols(s, r));
      process.stdout.write(routerRoutes(s, r));
    });

  const pod = lab.command('pod').description('pods made by the real CNI plugin');
  pod.command('add').description('create a pod (its namespace, the CNI ADD, its WorkloadEndpoint)').option('--name <lab>', NAME_HELP, 'lab')
    .argument('<pod>', 'NAMESPACE/NAME')
    .option('--node <node>', 'the node (default: round-robin)')
    .option('--labels <k=v,…>', 'pod labels')
    .option('--port <name:port/proto>', 'a named port (repeatable)', collect, [] as string[])
    .action(async (ref, o) => {
      const p = await podAdd(loadLab(o.name), ref, { ...(o.node ? { node: o.node } : {}), labels: parseLabels(o.labels), ports: o.port.map(parsePort) });
      process.stdout.write(`${p.namespace}/${p.name} on ${p.node}: ${p.ip} (interface ${p.iface})\n`);
    });
  pod.command('rm').description('delete a pod (CNI DEL, its namespace)').option('--name <lab>', NAME_HELP, 'lab').argument('<pod>', 'NAMESPACE/NAME').action(async (ref, o) => {
    await podRemove(loadLab(o.name), ref);
    process.stdout.write(`${ref} removed\n`);
  });
  pod.command('list').description('the lab\'s pods').option('--name <lab>', NAME_HELP, 'lab').action((o) => {
    const s = loadLab(o.name);
    process.stdout.write(`${table(['POD', 'NODE', 'IP', 'INTERFACE'], s.pods.map((p) => [`${p.namespace}/${p.name}`, p.node, p.ip, p.iface]))}\n`);
  });

  lab.command('exec').description('run a command in a pod, node or router namespace: lab exec NS/NAME -- CMD …').option('--name <lab>', NAME_HELP, 'lab')
    .argument('<target>', 'NAMESPACE/NAME, nodeN or a router').argument('<command...>', 'the command')
    .action((target, command, o) => {
      const s = loadLab(o.name);
      const ns = netnsOf(s, target);
      process.exitCode = execIn(ns, command);
    });
  lab.command('ping').description('ping from one pod (or node) to another pod, node or IP; exit 0 when answered').option('--name <lab>', NAME_HELP, 'lab')
    .argument('<from>').argument('<to>').action((from, to, o) => {
      const r = ping(loadLab(o.name), from, to);
      process.stdout.write(r.output);
      process.exitCode = r.ok ? 0 : 1;
    });
  lab.command('serve').description('start a TCP/UDP echo listener in a pod, for probes').option('--name <lab>', NAME_HELP, 'lab')
    .argument('<pod>').requiredOption('--port <port/proto>', 'e.g. 80/tcp').action((ref, o) => {
      const s = loadLab(o.name);
      const { port, protocol } = portProto(o.port);
      serve(s, ref, port, protocol);
      process.stdout.write(`${ref} echoes on ${port}/${protocol} (${addressOf(s, ref)})\n`);
    });
  lab.command('probe').description('is a connection allowed? prints allowed or blocked (exit 0 / 1)').option('--name <lab>', NAME_HELP, 'lab')
    .argument('<from>').argument('<to>')
    .option('--port <port>', 'destination port (tcp/udp)')
    .option('--protocol <p>', 'tcp | udp | icmp', 'tcp')
    .action((from, to, o) => {
      const protocol = o.protocol as 'tcp' | 'udp' | 'icmp';
      if (!['tcp', 'udp', 'icmp'].includes(protocol)) throw new TortieError('TORTIE_ERR_CLI_USAGE', '--protocol must be tcp, udp or icmp');
      if (protocol !== 'icmp' && !o.port) throw new TortieError('TORTIE_ERR_CLI_USAGE', `--port is needed for ${protocol}`);
      const ok = probe(loadLab(o.name), from, to, o.port ? Number(o.port) : null, protocol);
      process.stdout.write(`${from} → ${to} ${protocol}${o.port ? `/${o.port}` : ''}: ${ok ? 'allowed' : 'blocked'}\n`);
      process.exitCode = ok ? 0 : 1;
    });
}
