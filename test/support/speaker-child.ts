// A Tortie BGP speaker in a child process, driven over JSON lines on stdin/stdout, so tests can
// run it inside a network namespace (`ip netns exec NS node speaker-child.js`). With `program`
// it installs its learned IPv4 routes in the namespace's kernel (`via <next hop>`, route protocol
// 80) through the real RouteManager once its table is complete, and leaves them there when it
// stops (graceful restart).

import { createInterface } from 'node:readline';
import { BgpSpeaker } from '../../src/bgp/speaker/index.js';
import { RouteManager } from '../../src/dataplane/index.js';
import { Iproute2Netlink } from '../../src/dataplane/linux/index.js';

interface Request { id: number; op: string; [k: string]: unknown }

const log = (level: string) => (o: object, msg?: string): void => { process.stderr.write(`${JSON.stringify({ level, msg, ...o })}\n`); };
const speaker = new BgpSpeaker({ log: { debug: log('debug'), info: log('info'), warn: log('warn') }, notifyDelayMs: 5, convergeTimeoutMs: 10_000 });
let routes: RouteManager | null = null;
let applying = Promise.resolve();

// As the agent's loop: one apply at a time, and one more after it when routes changed meanwhile.
let busy = false;
let again = false;
function program(): void {
  const rm = routes;
  if (!rm || !speaker.converged) return;
  if (busy) { again = true; return; }
  busy = true;
  rm.setDesiredRoutes(speaker.learnedRoutes().filter((r) => !r.prefix.includes(':')).map((r) => ({ dst: r.prefix, type: 'unicast' as const, via: r.nextHop })));
  applying = rm.apply().then(() => {}, (e: unknown) => log('warn')({ err: String(e) }, 'route apply failed')).finally(() => {
    busy = false;
    if (again) { again = false; program(); }
  });
}
speaker.onRoutes(() => program());

const reply = (id: number, result: unknown, error?: string): void => {
  process.stdout.write(`${JSON.stringify(error === undefined ? { id, result } : { id, error })}\n`);
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line) as Request;
  void (async () => {
    try {
      switch (req.op) {
        case 'config': await speaker.setConfig(req['config'] as Parameters<BgpSpeaker['setConfig']>[0]); return reply(req.id, true);
        case 'peers': speaker.setPeers(req['peers'] as Parameters<BgpSpeaker['setPeers']>[0]); return reply(req.id, true);
        case 'exports': speaker.setExports(req['prefixes'] as string[], (req['pools'] as string[] | undefined) ?? []); return reply(req.id, true);
        case 'program': routes = new RouteManager(new Iproute2Netlink()); return reply(req.id, true);
        case 'status': return reply(req.id, speaker.status());
        case 'routes': return reply(req.id, speaker.routes());
        case 'learned': return reply(req.id, speaker.learnedRoutes());
        case 'stop':
          await speaker.stop();
          await applying;
          reply(req.id, true);
          process.exit(0);
          break;
        default: reply(req.id, null, `unknown op ${req.op}`);
      }
    } catch (e) {
      reply(req.id, null, (e as Error).message);
    }
  })();
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
