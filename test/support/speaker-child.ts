// A Tortie BGP speaker in a child process, driven over JSON lines on stdin/stdout, so tests can
// run it inside a network namespace (`ip netns exec NS node speaker-child.js`). With `program`
// it installs its learned IPv4 routes in the namespace's kernel (`via <next hop>`, route protocol
// 80) through the real RouteManager as they are learned — additions and replacements at once,
// deletions of routes it no longer has only once its table is complete (every peer's End-of-RIB)
// — and leaves them there when it stops (graceful restart).

import { createInterface } from 'node:readline';
import { BgpSpeaker } from '../../src/bgp/speaker/index.js';
import { RouteManager } from '../../src/dataplane/index.js';
import { Iproute2Netlink } from '../../src/dataplane/linux/index.js';

interface Request { id: number; op: string; [k: string]: unknown }

const log = (level: string) => (o: object, msg?: string): void => { process.stderr.write(`${JSON.stringify({ level, msg, ...o })}\n`); };
const speaker = new BgpSpeaker({ log: { debug: log('debug'), info: log('info'), warn: log('warn') }, notifyDelayMs: 5, convergeTimeoutMs: 10_000 });
let routes: RouteManager | null = null;
let applying: Promise<unknown> = Promise.resolve();

// As the agent's loop, on the difference: each learned-route change becomes one desired route
// (set or removed); the RouteManager streams them into the kernel, one apply after another.
const v4 = (prefix: string): boolean => !prefix.includes(':');
function learn(rm: RouteManager, prefix: string, nextHop: string | null): void {
  if (!v4(prefix)) return;
  if (nextHop === null) rm.removeRoute(prefix); else rm.setRoute({ dst: prefix, type: 'unicast', via: nextHop });
}
let busy = false;
let again = false;
function program(): void {
  const rm = routes;
  if (!rm) return;
  if (speaker.converged) rm.markDesiredComplete();
  if (busy) { again = true; return; }
  busy = true;
  if (process.env['TT_DEBUG_ROUTES']) log('debug')({ at: Math.round(performance.now()) }, 'apply');
  applying = rm.apply().then(() => {}, (e: unknown) => log('warn')({ err: String(e) }, 'route apply failed')).finally(() => {
    busy = false;
    if (again) { again = false; program(); }
  });
}
speaker.onLearnedChanges((changes) => {
  const rm = routes;
  if (process.env['TT_DEBUG_ROUTES']) log('debug')({ at: Math.round(performance.now()), changes: changes.length }, 'learned changes');
  if (!rm) return;
  for (const c of changes) learn(rm, c.prefix, c.route?.nextHop ?? null);
  program();
});
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
        case 'program': {
          // TT_ROUTE_CHUNK / TT_ROUTE_PARALLEL / TT_ROUTE_WRITERS: pipeline settings to compare in bench:bgp.
          const env = (k: string): number | undefined => (process.env[k] ? Number(process.env[k]) : undefined);
          const [chunk, parallel, routeWriters] = [env('TT_ROUTE_CHUNK'), env('TT_ROUTE_PARALLEL'), env('TT_ROUTE_WRITERS')];
          const nl = new Iproute2Netlink(routeWriters ? { routeWriters } : {});
          // TT_DEBUG_ROUTES: one log line per batch written (size, ms), to see the pipeline at work.
          if (process.env['TT_DEBUG_ROUTES']) {
            const write = nl.applyRoutes.bind(nl);
            nl.applyRoutes = async (p, del, add) => {
              const t = performance.now();
              try { await write(p, del, add); } finally { log('debug')({ at: Math.round(t), ms: Math.round(performance.now() - t), del: del.length, add: add.length }, 'route batch'); }
            };
          }
          const rm = new RouteManager(nl, {
            ...(chunk ? { chunk } : {}), ...(parallel ? { parallel } : {}),
          });
          for (const r of speaker.learnedRoutes()) learn(rm, r.prefix, r.nextHop);
          routes = rm;
          program();
          return reply(req.id, true);
        }
        case 'status': return reply(req.id, speaker.status());
        case 'routes': return reply(req.id, speaker.routes());
        case 'learned': return reply(req.id, speaker.learnedRoutes());
        // Heap figures for benchmarks (after a full GC when node runs with --expose-gc).
        case 'memory': (globalThis as { gc?: () => void }).gc?.(); return reply(req.id, process.memoryUsage());
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
