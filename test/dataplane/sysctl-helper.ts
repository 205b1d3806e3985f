// Run inside a network namespace (`ip netns exec NS node sysctl-helper.js '<json>'`): /proc/sys/net
// shows the namespace of the process that opens it, so the kernel test drives SysctlFs from here.
// Input: { workloads: string[], reads: string[], writes?: [path, value][] }. Output: one JSON line.

import { SysctlManager } from '../../src/dataplane/index.js';
import { SysctlFs } from '../../src/dataplane/linux/index.js';

const input = JSON.parse(process.argv[2] ?? '{}') as { workloads?: string[]; reads?: string[]; writes?: Array<[string, string]> };
const fs = new SysctlFs();
const out: Record<string, unknown> = {};
try {
  for (const [p, v] of input.writes ?? []) {
    try { await fs.write(p, v); } catch (e) { out[`write ${p}`] = (e as { code?: string }).code ?? String(e); }
  }
  const m = new SysctlManager(fs);
  m.setWorkloadInterfaces(input.workloads ?? []);
  out['first'] = await m.apply();
  out['second'] = await m.apply();
  const reads: Record<string, string | null> = {};
  for (const p of input.reads ?? []) reads[p] = await fs.read(p);
  out['reads'] = reads;
} catch (e) {
  out['error'] = { code: (e as { code?: string }).code, message: (e as Error).message };
}
process.stdout.write(`${JSON.stringify(out)}\n`);
