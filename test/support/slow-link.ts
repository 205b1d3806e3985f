// A slow datastore link, for fault tests: a proxy from one unix socket to another that holds
// every chunk of data for a delay (fixed plus random jitter from a seeded generator) before
// passing it on, in order, both ways — what a congested or distant link does to a client. (This
// kernel has no `netem` qdisc; the clients here reach etcd over unix sockets anyway.)

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { prng } from './prng.js';

export class SlowLink {
  private constructor(private readonly server: Server, readonly path: string, private readonly sockets: Set<Socket>) {}

  /** Listens on `path` and forwards to the unix socket `target`, delaying each chunk by `delayMs` + up to `jitterMs`. */
  static start(path: string, target: string, o: { delayMs: number; jitterMs?: number; seed?: number }): Promise<SlowLink> {
    const rand = prng(o.seed ?? 1);
    const sockets = new Set<Socket>();
    const delay = (): number => o.delayMs + Math.floor(rand() * (o.jitterMs ?? 0));
    /** Sends each chunk after its delay, never before the one ahead of it. */
    const pipe = (from: Socket, to: Socket): void => {
      let last = 0;
      from.on('data', (d: Buffer) => {
        const at = Math.max(Date.now() + delay(), last);
        last = at;
        setTimeout(() => { if (!to.destroyed) to.write(d); }, at - Date.now());
      });
      from.on('end', () => setTimeout(() => to.end(), Math.max(0, last - Date.now())));
      from.on('error', () => to.destroy());
      from.on('close', () => sockets.delete(from));
    };
    rmSync(path, { force: true });
    const server = createServer({ allowHalfOpen: true }, (client) => {
      const upstream = createConnection({ path: target, allowHalfOpen: true });
      sockets.add(client); sockets.add(upstream);
      pipe(client, upstream);
      pipe(upstream, client);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve(new SlowLink(server, path, sockets)));
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
