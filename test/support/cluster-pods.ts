// A pod on a ClusterLab node as the CNI would make it, with the real tools: an address from the
// real tortie-ipam plugin, the pod's namespace wired, and its WorkloadEndpoint applied with the
// real `tortie` CLI. `netns`: where the commands run (the namespace from which the datastore is
// reachable; undefined: this one).

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { workloadEndpointName } from '../../src/model/index.js';
import type { ClusterLab, LabPod } from './cluster-lab.js';
import { tortie } from './tortie-cli.js';

const run = promisify(execFile);
const IPAM = fileURLToPath(new URL('../../../bin/tortie-ipam', import.meta.url));

export interface DatastoreAccess {
  /** TORTIE_* variables naming the datastore for the CLI. */
  readonly env: Record<string, string>;
  /** The `ipam` section's datastore fields for tortie-ipam. */
  readonly ipam: Record<string, string>;
  readonly netns?: string;
}

function inNetns(netns: string | undefined, cmd: string[]): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, ...cmd]] : [cmd[0]!, cmd.slice(1)];
}

/** The real `tortie` CLI with the datastore of `ds`; resolves to its stdout, rejects (with stdout and stderr) on a non-zero exit. */
export async function tortieCli(ds: DatastoreAccess, args: string[], input?: string): Promise<string> {
  const r = await tortie(args, ds.env, input, 60_000, ds.netns);
  if (r.code !== 0) throw Object.assign(new Error(`tortie ${args.join(' ')} exited ${r.code}: ${r.stderr}`), r);
  return r.stdout;
}

export async function addIpamPod(lab: ClusterLab, ds: DatastoreAccess, name: string, node: string): Promise<LabPod> {
  const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'tortie', ipam: { type: 'tortie-ipam', nodename: node, ...ds.ipam } });
  const [cmd, argv] = inNetns(ds.netns, [process.execPath, IPAM]);
  const p = run(cmd, argv, {
    env: { PATH: process.env['PATH'] ?? '', CNI_COMMAND: 'ADD', CNI_CONTAINERID: name, CNI_NETNS: `/var/run/netns/${name}`, CNI_IFNAME: 'eth0', TORTIE_CONFIG: '/dev/null' },
  });
  p.child.stdin!.end(conf);
  const out = await p.catch((e: { stdout?: string; message: string }) => { throw new Error(`tortie-ipam ADD for ${name} failed: ${e.stdout || e.message}`); });
  const ip = (JSON.parse(out.stdout) as { ips: Array<{ address: string }> }).ips[0]!.address.split('/')[0]!;
  const pod = lab.addPod(name, node, ip);
  await tortieCli(ds, ['apply', '-f', '-'], stringify({
    apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint',
    metadata: { name: workloadEndpointName({ node, orchestrator: 'k8s', pod: name, endpoint: 'eth0' }), namespace: 'default', labels: { pod: name } },
    spec: { node, orchestrator: 'k8s', pod: name, endpoint: 'eth0', interfaceName: pod.hostIface, ipNetworks: [`${ip}/32`], profiles: ['kns.default'] },
  }));
  return pod;
}
