// `tortie agent`: start-up of one node's agent, then the loop until SIGTERM/SIGINT.
//
//   datastore (retried until reachable) → node address (detected, with its mask) → Node resource
//   (refused if another node has the address) → nodename + MTU files for the CNI → kernel
//   capabilities (ipip?) → Agent loop + /healthz /readyz /metrics
//
// Stopping never flushes the dataplane: pods keep their connectivity and policy while the agent
// is down or restarting.

import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { TortieError, isRetryable, isTortieError } from '../lib/errors.js';
import { describeDatastore, type DatastoreConfig } from '../datastore/config.js';
import { openStore } from '../datastore/connect/index.js';
import type { Store } from '../datastore/ports.js';
import { ResourceClient } from '../resources/index.js';
import { DataplaneDriver, detectNodeAddress, hostMtu, type NodeAddress } from '../dataplane/index.js';
import { Iproute2Netlink, NftCli, SysctlFs, writeMtuFile } from '../dataplane/linux/index.js';
import { IpamService } from '../ipam/service/index.js';
import { BgpSpeaker } from '../bgp/speaker/index.js';
import { Agent } from './agent.js';
import type { Logger } from './logger.js';
import { AgentBgp } from './bgp.js';
import { CniHandler } from './cni/handler.js';
import { startCniServer } from './cni/server.js';
import { startHttp } from './http.js';
import { AgentMetrics } from './metrics.js';
import { ensureClusterInformation, registerNode } from './node-registration.js';

export interface AgentRunOptions {
  readonly nodeName: string;
  readonly datastore: DatastoreConfig;
  /** Calico's IP_AUTODETECTION_METHOD; ignored when `ip` is given. */
  readonly ipAutodetectionMethod: string;
  /** The node address with its prefix length, e.g. 10.0.0.5/24 (Calico's IP). */
  readonly ip?: string;
  readonly stateDir: string;
  readonly healthHost: string;
  readonly healthPort: number;
  readonly refreshMs: number;
  readonly reportingMs: number;
  readonly logLevel: string;
  readonly programNoEncapRoutes: boolean;
  readonly version: string;
  /** The CNI shim's socket; null: no CNI server. */
  readonly cniSocket: string | null;
  /** Run the BGP speaker; unencapsulated (and, if configured, IPIP) routes then come from it. */
  readonly bgp?: boolean;
  /** Where BGP passwords are read from: `<dir>/<secret name>/<key>`. */
  readonly bgpSecretDir?: string;
}

async function retrying<T>(log: Logger, what: string, fn: () => Promise<T>, stop: AbortSignal): Promise<T> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
    try { return await fn(); } catch (e) {
      if (!isRetryable(e) || stop.aborted) throw e;
      log.warn({ err: (e as Error).message }, `${what}: retrying in ${delay} ms`);
      await sleep(delay);
    }
  }
}

/** The interface that holds an address given with --ip (the uplink VXLAN and plain routes use). */
async function givenAddress(netlink: Iproute2Netlink, cidr: string): Promise<NodeAddress> {
  const ip = cidr.split('/')[0]!;
  const link = (await netlink.links()).find((l) => l.addresses.some((a) => a.split('/')[0] === ip));
  if (!link) {
    throw new TortieError('TORTIE_ERR_NODE_ADDRESS_NOT_FOUND', `--ip ${cidr}: no interface of this host has ${ip}; give an address of this node (with its prefix length)`, { address: cidr });
  }
  const onLink = link.addresses.find((a) => a.split('/')[0] === ip)!;
  if (!cidr.includes('/')) return { address: onLink, iface: link.name };
  return { address: cidr, iface: link.name };
}

export async function runAgent(o: AgentRunOptions): Promise<void> {
  const log: Logger = pino({ level: o.logLevel, base: { node: o.nodeName } }, pino.destination(2));
  const stop = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => { log.info({ signal: sig }, 'stopping (the dataplane stays as programmed)'); stop.abort(); resolve(); });
  });
  log.info({ datastore: describeDatastore(o.datastore), version: o.version }, 'starting the Tortie agent');

  let store: Store | null = null;
  const netlink = new Iproute2Netlink();
  try {
    store = await retrying(log, 'opening the datastore', () => openStore(o.datastore, 'service'), stop.signal);
    const resources = new ResourceClient(store);
    const address: NodeAddress = o.ip ? await givenAddress(netlink, o.ip) : await detectNodeAddress(netlink, o.ipAutodetectionMethod);
    log.info({ address: address.address, uplink: address.iface }, 'node address');
    await retrying(log, 'registering the node', () => registerNode(resources, o.nodeName, address.address), stop.signal);
    await retrying(log, 'writing ClusterInformation', () => ensureClusterInformation(resources, o.version, randomUUID()), stop.signal);
    mkdirSync(o.stateDir, { recursive: true });
    writeFileSync(join(o.stateDir, 'nodename'), `${o.nodeName}\n`);

    const links = await netlink.links();
    const mtu = hostMtu(links);
    const ipipSupported = await netlink.supportsLinkKind('ipip');
    if (!ipipSupported) log.info({}, 'IPIP unavailable: kernel lacks ipip (VXLAN and unencapsulated routing still work)');
    const metrics = new AgentMetrics();
    const driver = new DataplaneDriver({
      netlink, sysctl: new SysctlFs(), nft: new NftCli(),
      writeMtu: (m) => writeMtuFile(m, join(o.stateDir, 'mtu')),
    });
    // --bgp: the speaker runs in this process; its learned routes feed the calculation (agent/bgp.ts).
    const bgp = o.bgp ? new AgentBgp({ nodeName: o.nodeName, speaker: new BgpSpeaker({ log }), store, log, ...(o.bgpSecretDir ? { secretDir: o.bgpSecretDir } : {}) }) : undefined;
    if (bgp) metrics.bgpPeers = () => bgp.status().peers;
    const agent = new Agent({
      nodeName: o.nodeName, store, resources, driver, metrics, log, version: o.version, ...(bgp ? { bgp } : {}),
      refreshMs: o.refreshMs, reportingMs: o.reportingMs,
      calc: { nodeName: o.nodeName, uplink: address.iface, hostMtu: mtu.mtu, ipipSupported, programNoEncapRoutes: o.programNoEncapRoutes },
    });
    // The listeners first: one that cannot start (a port or socket in use) stops the agent before
    // it programs or runs anything.
    const cni = o.cniSocket === null ? null : await startCniServer(o.cniSocket, (env, stdin) => new CniHandler({
      nodeName: o.nodeName, resources, ipam: new IpamService(store!, resources), sysctl: new SysctlFs(),
      podMtu: () => agent.podMtu(), notReady: () => agent.notReady(), onEndpointWritten: (k, v) => agent.inject(k, v),
    }).handle(env, stdin));
    if (cni) log.info({ socket: o.cniSocket }, 'CNI server listening');
    const http = await startHttp(o.healthPort, o.healthHost, agent, metrics).catch((e: unknown) => { cni?.close(); throw e; });
    agent.start();
    log.info({ health: `http://${o.healthHost}:${o.healthPort}/readyz` }, 'agent running');
    await stopped;
    cni?.close();
    http.close();
    await agent.stop();
  } catch (e) {
    if (stop.signal.aborted && isTortieError(e) && e.retryable) return;
    throw e;
  } finally {
    await store?.close();
  }
}
