import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../support/temp-dir.js';
import { tortie } from '../support/tortie-cli.js';

const dir = tempDir('cni-install');
after(() => dir.remove());

test('tortie cni install puts both plugins and the conflist in place, and they answer VERSION', async () => {
  const bin = join(dir.path, 'bin'), conf = join(dir.path, 'net.d');
  const r = await tortie(['cni', 'install', '--bin-dir', bin, '--conf-dir', conf, '--mtu', '1400']);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['tortie', 'tortie-ipam']) assert.ok((statSync(join(bin, f)).mode & 0o111) !== 0, `${f} is executable`);
  const list = JSON.parse(readFileSync(join(conf, '10-tortie.conflist'), 'utf8')) as { name: string; plugins: Array<{ type: string; mtu?: number; ipam?: { type: string } }> };
  assert.equal(list.name, 'k8s-pod-network');
  assert.deepEqual(list.plugins.map((p) => p.type), ['tortie', 'portmap']);
  assert.equal(list.plugins[0]!.mtu, 1400);
  assert.equal(list.plugins[0]!.ipam!.type, 'tortie-ipam');
  for (const f of ['tortie', 'tortie-ipam']) {
    const out = execFileSync(join(bin, f), { env: { PATH: process.env['PATH'] ?? '', CNI_COMMAND: 'VERSION' }, input: '{"cniVersion":"1.0.0","name":"x"}', encoding: 'utf8' });
    assert.deepEqual((JSON.parse(out) as { supportedVersions: string[] }).supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
  }
  const bad = await tortie(['cni', 'install', '--bin-dir', bin, '--conf-dir', conf, '--mtu', 'big']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /TORTIE_ERR_CLI_USAGE\]: --mtu must be/);
});
