// What a lab is made of, kept in <lab dir>/lab.json so that every `tortie lab …` command (and
// `lab down` after a crash) knows the namespaces, processes and files to act on.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TortieError } from '../lib/errors.js';

export type Encap = 'none' | 'vxlan' | 'ipip' | 'vxlan-crosssubnet' | 'ipip-crosssubnet';

export interface LabNode { readonly name: string; readonly netns: string; readonly address: string; readonly subnet: 0 | 1 }
export interface LabRouter { readonly name: string; readonly netns: string; readonly address: string; readonly asNumber: number }
export interface LabPod {
  readonly namespace: string; readonly name: string; readonly node: string; readonly netns: string;
  readonly ip: string; readonly containerId: string; readonly iface: string;
}
export interface LabProcess { readonly role: string; readonly pid: number }

export interface LabState {
  readonly name: string;
  readonly dir: string;
  readonly datastore: 'embedded' | 'etcd';
  readonly encap: Encap;
  readonly topology: 'mesh' | 'rr';
  /** The agents run their BGP speakers (routes between nodes over BGP); else routes come from the datastore. */
  readonly bgp: boolean;
  readonly subnets: 1 | 2;
  readonly pool: string;
  nodes: LabNode[];
  routers: LabRouter[];
  pods: LabPod[];
  processes: LabProcess[];
}

/** Labs live under /var/run/tortie-lab (tmpfs: a reboot forgets them), or TORTIE_LAB_DIR. */
export const labRoot = (): string => process.env['TORTIE_LAB_DIR'] ?? '/var/run/tortie-lab';
export const labDir = (name: string): string => join(labRoot(), name);

export function checkLabName(name: string): void {
  // Interface names carry the lab name (`<lab>-n12`) and are at most 15 characters.
  if (!/^[a-z][a-z0-9]{0,5}$/.test(name)) {
    throw new TortieError('TORTIE_ERR_CLI_USAGE', `Lab name "${name}" must be 1–6 lower-case letters and digits, starting with a letter`);
  }
}

export function loadLab(name: string): LabState {
  checkLabName(name);
  const file = join(labDir(name), 'lab.json');
  if (!existsSync(file)) throw new TortieError('TORTIE_ERR_LAB_NOT_FOUND', `There is no lab "${name}": start one with tortie lab up --name ${name}`, { lab: name });
  return JSON.parse(readFileSync(file, 'utf8')) as LabState;
}

export function saveLab(s: LabState): void {
  mkdirSync(s.dir, { recursive: true });
  const file = join(s.dir, 'lab.json');
  writeFileSync(`${file}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The datastore settings every process of the lab uses (also what `lab env` prints). */
export function labEnv(s: LabState): Record<string, string> {
  return s.datastore === 'embedded'
    ? { TORTIE_DATASTORE: 'embedded', TORTIE_STORE_PATH: join(s.dir, 'store.db') }
    : { TORTIE_DATASTORE: 'etcd', TORTIE_ETCD_ENDPOINTS: `unix://${join(s.dir, 'etcd', 'localhost:2379')}` };
}

/** Pod references: `NS/NAME`, or `NAME` in the default namespace. */
export function parsePodRef(ref: string): { namespace: string; name: string } {
  const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(ref);
  if (!m) throw new TortieError('TORTIE_ERR_CLI_USAGE', `"${ref}" is not a pod reference: use NAMESPACE/NAME (lower-case letters, digits and '-')`);
  return { namespace: m[1] ?? 'default', name: m[3]! };
}

export function findPod(s: LabState, ref: string): LabPod {
  const { namespace, name } = parsePodRef(ref);
  const p = s.pods.find((x) => x.namespace === namespace && x.name === name);
  if (!p) throw new TortieError('TORTIE_ERR_LAB_NOT_FOUND', `Lab ${s.name} has no pod ${namespace}/${name} (tortie lab pod list --name ${s.name})`, { pod: `${namespace}/${name}` });
  return p;
}
