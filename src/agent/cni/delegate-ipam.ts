// Calling an IPAM plugin other than Tortie's own (e.g. the reference host-local), the way the CNI
// spec says a main plugin delegates: the plugin found by its `type` on CNI_PATH, run with the same
// CNI_* environment and the whole network configuration on stdin.

import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { CNI_ERR, CniError, type CniEnv } from '../../cni/protocol/index.js';

export interface DelegatedResult { readonly ips: Array<{ address: string; gateway?: string }>; readonly raw: Record<string, unknown> }

async function findPlugin(type: string, path: readonly string[]): Promise<string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(type)) throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `ipam.type "${type}" is not a plugin name`);
  for (const dir of path) {
    const p = join(dir, type);
    try { await access(p, constants.X_OK); return p; } catch { /* next */ }
  }
  throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `The IPAM plugin "${type}" is not in CNI_PATH (${path.join(':') || 'empty'})`);
}

export async function delegateIpam(command: 'ADD' | 'DEL' | 'CHECK', env: CniEnv, raw: Readonly<Record<string, string>>, conf: Readonly<Record<string, unknown>>): Promise<DelegatedResult | null> {
  const ipam = conf['ipam'] as { type?: string } | undefined;
  const plugin = await findPlugin(String(ipam?.type ?? ''), env.path);
  const childEnv: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  for (const [k, v] of Object.entries(raw)) if (k.startsWith('CNI_')) childEnv[k] = v;
  childEnv['CNI_COMMAND'] = command;
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(plugin, [], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdin.on('error', () => {}); // a plugin that exits without reading its input
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', (e) => resolve({ code: -1, stdout, stderr: e.message }));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(JSON.stringify(conf));
  });
  let parsed: Record<string, unknown> | null = null;
  try { parsed = out.stdout.trim() ? JSON.parse(out.stdout) as Record<string, unknown> : null; } catch { /* reported below */ }
  if (out.code !== 0) {
    const msg = typeof parsed?.['msg'] === 'string' ? parsed['msg'] : out.stderr.trim() || `exit ${out.code}`;
    const code = typeof parsed?.['code'] === 'number' ? parsed['code'] : CNI_ERR.PLUGIN_FAILURE;
    throw new CniError(code, `The IPAM plugin ${ipam?.type} failed on ${command}: ${msg}`);
  }
  if (command !== 'ADD') return null;
  const ips = (parsed?.['ips'] as Array<{ address?: string; gateway?: string }> | undefined) ?? [];
  if (ips.length === 0) throw new CniError(CNI_ERR.PLUGIN_FAILURE, `The IPAM plugin ${ipam?.type} returned no address`);
  return { ips: ips.map((i) => ({ address: String(i.address), ...(i.gateway ? { gateway: i.gateway } : {}) })), raw: parsed! };
}
