// What a running agent exposes, checked as the README documents it: the CNI socket is root's
// alone (mode 0600, owner root; a local user who is not root cannot connect), and /healthz,
// /readyz and /metrics listen on 127.0.0.1 only by default (not on the node's address).

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentCluster } from './cluster.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** Connects to a unix socket or TCP address as `uid` (via setpriv) from `netns`; prints "connected" or the error code. */
function tryConnect(target: { path: string } | { host: string; port: number }, opts: { uid?: number; netns?: string } = {}): string {
  const script = `const s = require('net').connect(${JSON.stringify('path' in target ? target.path : { host: target.host, port: target.port })});` +
    "s.on('connect', () => { console.log('connected'); s.destroy(); }); s.on('error', (e) => console.log(e.code));";
  const node = [process.execPath, '-e', script];
  const asUser = opts.uid === undefined ? node : ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', ...node];
  const cmd = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...asUser] : asUser;
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', timeout: 20_000 });
  return r.stdout.trim() || `no output (exit ${r.status}): ${r.stderr.trim()}`;
}

describe('what an agent exposes', { skip: isRoot ? false : 'needs root (network namespaces, another user)' }, () => {
  const c = new AgentCluster('sec');
  before(async () => {
    await c.start([['n1', 'A', 1]], {});
    await c.waitReady(['n1']);
  });
  after(async () => { await c.destroy(); });

  it('the CNI socket is mode 0600, owned by root; root connects, a local user who is not root cannot', () => {
    const sock = join(c.dir.path, 'n1', 'cni.sock');
    const st = statSync(sock);
    assert.ok(st.isSocket(), `${sock} is a socket`);
    assert.equal((st.mode & 0o777).toString(8), '600');
    assert.equal(st.uid, 0);
    // Only the socket's own mode may stand in the way: the directories on the path are opened up
    // (the temporary directory is 0700 by itself, which would hide any socket mode).
    chmodSync(c.dir.path, 0o755);
    chmodSync(join(c.dir.path, 'n1'), 0o755);
    assert.equal(tryConnect({ path: sock }), 'connected');
    assert.equal(tryConnect({ path: sock }, { uid: NOBODY }), 'EACCES');
  });

  it('/healthz, /readyz and /metrics answer on 127.0.0.1 only (default --health-host), not on the node address', () => {
    const n1 = c.lab.nodes.get('n1')!;
    assert.equal(tryConnect({ host: '127.0.0.1', port: 9099 }, { netns: n1.netns }), 'connected');
    assert.equal(tryConnect({ host: n1.ip, port: 9099 }, { netns: n1.netns }), 'ECONNREFUSED');
    // And the node's own listening sockets say the same.
    const ss = execFileSync('ip', ['netns', 'exec', n1.netns, 'ss', '-Hltn', 'sport = :9099'], { encoding: 'utf8' });
    assert.match(ss, /127\.0\.0\.1:9099/);
    assert.doesNotMatch(ss, /(0\.0\.0\.0|\*|\[::\]):9099/);
  });
});
