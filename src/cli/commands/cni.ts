// cni install: puts the plugin executables where runtimes look for them and writes the network
// configuration list, as Calico's install-cni does.
//   <bin-dir>/tortie        the native shim (dist/tortie-cni) that hands requests to the agent
//   <bin-dir>/tortie-ipam   a launcher of the IPAM plugin (Node), for use by any main plugin
//   <conf-dir>/10-tortie.conflist   tortie (+ tortie-ipam) chained with portmap

import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '@commander-js/extra-typings';
import { TortieError } from '../../lib/errors.js';
import type { GlobalOptions } from '../context.js';

const SHIM = fileURLToPath(new URL('../../../tortie-cni', import.meta.url));
const IPAM_MAIN = fileURLToPath(new URL('../../bin/tortie-ipam.js', import.meta.url));

/** Writes a file whole or not at all (a runtime may read the directory at any moment). */
function writeAtomically(path: string, content: string, mode: number): void {
  const tmp = `${path}.tortie-tmp`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

export function conflist(opts: { network: string; socket: string; mtu?: number; portmap: boolean }): Record<string, unknown> {
  return {
    name: opts.network, cniVersion: '1.0.0',
    plugins: [
      { type: 'tortie', agent_socket: opts.socket, ...(opts.mtu ? { mtu: opts.mtu } : {}), ipam: { type: 'tortie-ipam' } },
      ...(opts.portmap ? [{ type: 'portmap', snat: true, capabilities: { portMappings: true } }] : []),
    ],
  };
}

export function registerCniCommand(program: Command<[], GlobalOptions>): void {
  const cni = program.command('cni').description('install the tortie CNI plugins');
  cni.command('install').description('copy the plugins to the CNI bin directory and write 10-tortie.conflist')
    .option('--bin-dir <dir>', 'where runtimes find CNI plugins', '/opt/cni/bin')
    .option('--conf-dir <dir>', 'where runtimes find network configurations', '/etc/cni/net.d')
    .option('--network <name>', 'the network name (also the start of IPAM handles)', 'k8s-pod-network')
    .option('--agent-socket <path>', 'the agent\'s CNI socket', '/var/run/tortie/cni.sock')
    .option('--mtu <n>', 'pod MTU (default: what the agent detected)')
    .option('--no-portmap', 'do not chain the portmap plugin')
    .action((opts) => {
      if (!existsSync(SHIM)) throw new TortieError('TORTIE_ERR_FILE_UNREADABLE', `The CNI shim ${SHIM} is not built: run \`npm run build\` (it needs a C compiler)`);
      const mtu = opts.mtu === undefined ? undefined : Number(opts.mtu);
      if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 576 || mtu > 65535)) throw new TortieError('TORTIE_ERR_CLI_USAGE', `--mtu must be 576–65535, not "${opts.mtu}"`);
      mkdirSync(opts.binDir, { recursive: true });
      mkdirSync(opts.confDir, { recursive: true });
      const shimTarget = join(opts.binDir, 'tortie');
      copyFileSync(SHIM, `${shimTarget}.tortie-tmp`);
      chmodSync(`${shimTarget}.tortie-tmp`, 0o755);
      renameSync(`${shimTarget}.tortie-tmp`, shimTarget);
      writeAtomically(join(opts.binDir, 'tortie-ipam'), `#!/bin/sh\n# The tortie-ipam CNI IPAM plugin (installed by tortie cni install).\nexec '${process.execPath}' '${IPAM_MAIN}' "$@"\n`, 0o755);
      const list = conflist({ network: opts.network, socket: opts.agentSocket, ...(mtu ? { mtu } : {}), portmap: opts.portmap });
      writeAtomically(join(opts.confDir, '10-tortie.conflist'), `${JSON.stringify(list, null, 2)}\n`, 0o644);
      process.stdout.write(`Installed ${shimTarget} and ${join(opts.binDir, 'tortie-ipam')}; wrote ${join(opts.confDir, '10-tortie.conflist')}\n`);
    });
}
