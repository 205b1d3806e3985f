// The agent's end of the CNI shim (src/cni/shim/tortie-cni.c): a unix socket, one request per
// connection — "TORTIE-CNI/1\n", CNI_* lines, a blank line, the network config — answered with
// "<exit status>\n" and the plugin's stdout.

import { mkdirSync, rmSync, chmodSync, existsSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { TortieError } from '../../lib/errors.js';
import type { CniOutcome } from './handler.js';

export const DEFAULT_CNI_SOCKET = '/var/run/tortie/cni.sock';
const MAX_REQUEST = 4 * 1024 * 1024;

export function parseRequest(buf: Buffer): { env: Record<string, string>; stdin: string } | null {
  const text = buf.toString('utf8');
  if (!text.startsWith('TORTIE-CNI/1\n')) return null;
  const end = text.indexOf('\n\n', 'TORTIE-CNI/1'.length);
  if (end < 0) return null;
  const env: Record<string, string> = {};
  for (const line of text.slice('TORTIE-CNI/1\n'.length, end).split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return { env, stdin: text.slice(end + 2) };
}

/** Whether something accepts connections on the unix socket `path` (a socket file alone proves nothing). */
function answers(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = connect(path, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

export async function startCniServer(path: string, handle: (env: Record<string, string>, stdin: string) => Promise<CniOutcome>): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true });
  if (await answers(path)) {
    throw new TortieError('TORTIE_ERR_CNI_SOCKET_IN_USE', `Another process answers on the CNI socket ${path} (another agent on this host?): stop it, or give this agent its own --cni-socket`, { path });
  }
  rmSync(path, { force: true }); // a socket file left by an earlier run
  // allowHalfOpen: the shim closes its sending side first, and still waits for the answer.
  const server = createServer({ allowHalfOpen: true }, (sock: Socket) => {
    const chunks: Buffer[] = [];
    let size = 0;
    sock.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_REQUEST) { sock.destroy(); return; }
      chunks.push(d);
    });
    sock.on('error', () => {});
    sock.on('end', () => {
      const req = parseRequest(Buffer.concat(chunks));
      const answer = req
        ? handle(req.env, req.stdin)
        : Promise.resolve({ exitCode: 1, stdout: JSON.stringify({ cniVersion: '1.1.0', code: 6, msg: 'The Tortie agent got a request it cannot read (is the tortie plugin binary from the same release?)' }) });
      answer.then((o) => sock.end(`${o.exitCode}\n${o.stdout}${o.stdout.endsWith('\n') || o.stdout === '' ? '' : '\n'}`), () => sock.destroy());
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Root's plugin only: a pod network is set up by the runtime, not by users. The socket is
    // created 0600 (umask 0177 while it is bound; bind happens within listen()), so there is no
    // moment when anyone else could connect; the chmod confirms it.
    const umask = process.umask(0o177);
    try {
      server.listen(path, () => {
        try {
          chmodSync(path, 0o600);
        } catch (e) {
          server.close();
          reject(e);
          return;
        }
        resolve(server);
      });
    } finally {
      process.umask(umask);
    }
  });
}
