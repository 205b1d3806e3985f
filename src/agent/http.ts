// /healthz (the agent's loop is alive), /readyz (in sync with the datastore and the last apply
// succeeded) and Prometheus /metrics, on one port (Felix: healthPort 9099).

import { createServer, type Server } from 'node:http';
import type { AgentMetrics } from './metrics.js';

export interface Health {
  live(): boolean;
  /** null when ready, else why not. */
  notReady(): string | null;
}

export function startHttp(port: number, host: string, health: Health, metrics: AgentMetrics): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (path === '/healthz' || path === '/liveness') {
      reply(health.live() ? 200 : 503, health.live() ? 'ok\n' : 'the agent loop is stuck\n');
    } else if (path === '/readyz' || path === '/readiness') {
      const why = health.notReady();
      reply(why === null ? 200 : 503, why === null ? 'ready\n' : `not ready: ${why}\n`);
    } else if (path === '/metrics') {
      metrics.registry.metrics().then((text) => reply(200, text, metrics.registry.contentType), (e: unknown) => reply(500, String(e)));
    } else {
      reply(404, 'try /healthz, /readyz or /metrics\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
