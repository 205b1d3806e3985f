// `tortie agent`: flags → runAgent. Lives with the mains because it joins two apps: the CLI's
// datastore flags and the agent.

import { hostname } from 'node:os';
import type { Command } from '@commander-js/extra-typings';
import { runAgent } from '../agent/index.js';
import { datastoreConfig, VERSION, type GlobalOptions } from '../cli/index.js';
import { TortieError } from '../lib/errors.js';

const seconds = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new TortieError('TORTIE_ERR_CLI_USAGE', `--${name} must be a number of seconds > 0, not "${v}"`);
  return n;
};

export function registerAgentCommand(program: Command<[], GlobalOptions>): void {
  program.command('agent').description('run the node agent: program this node\'s routes, tunnels and policy from the datastore')
    .option('--node <name>', 'this node\'s name (env NODENAME; default: the hostname)')
    .option('--ip <cidr>', 'the node address with its prefix length, e.g. 10.0.0.5/24 (env IP); default: autodetect')
    .option('--ip-autodetection-method <method>', 'first-found | interface=REGEX | skip-interface=REGEX | can-reach=IP | cidr=CIDR (env IP_AUTODETECTION_METHOD)')
    .option('--state-dir <dir>', 'where the nodename and mtu files go for the CNI plugin', '/var/lib/tortie')
    .option('--health-host <host>', 'address of /healthz, /readyz and /metrics', '127.0.0.1')
    .option('--health-port <port>', 'port of /healthz, /readyz and /metrics', '9099')
    .option('--refresh-interval <seconds>', 're-read and repair the kernel this often', seconds('refresh-interval'), 90)
    .option('--reporting-interval <seconds>', 'write the agent status at least this often', seconds('reporting-interval'), 30)
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .option('--cni-socket <path>', 'where the tortie CNI plugin reaches the agent ("none": no CNI server)', '/var/run/tortie/cni.sock')
    .option('--no-program-noencap-routes', 'leave routes of unencapsulated pools to BGP instead of programming them from the datastore')
    .option('--bgp', 'run the BGP speaker (mesh, route reflectors, BGPPeers); routes of unencapsulated pools then come from BGP')
    .option('--bgp-secret-dir <dir>', 'BGP passwords: <dir>/<secret name>/<key>, as a Kubernetes secret volume is laid out')
    .action(async (opts, c) => {
      const port = Number(opts.healthPort);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TortieError('TORTIE_ERR_CLI_USAGE', `--health-port must be a port number, not "${opts.healthPort}"`);
      await runAgent({
        nodeName: opts.node ?? process.env['NODENAME'] ?? hostname(),
        datastore: datastoreConfig(c.optsWithGlobals() as GlobalOptions),
        ipAutodetectionMethod: opts.ipAutodetectionMethod ?? process.env['IP_AUTODETECTION_METHOD'] ?? 'first-found',
        ...(opts.ip ?? process.env['IP'] ? { ip: (opts.ip ?? process.env['IP'])! } : {}),
        stateDir: opts.stateDir, healthHost: opts.healthHost, healthPort: port,
        refreshMs: opts.refreshInterval * 1000, reportingMs: opts.reportingInterval * 1000,
        logLevel: opts.logLevel, programNoEncapRoutes: opts.programNoencapRoutes, version: VERSION,
        cniSocket: opts.cniSocket === 'none' ? null : opts.cniSocket,
        bgp: opts.bgp === true, ...(opts.bgpSecretDir ? { bgpSecretDir: opts.bgpSecretDir } : {}),
      });
    }).exitOverride();
}
