// `tortie ipam …` end to end: the test allocates addresses with the IPAM service on the very store
// the CLI uses (a SQLite file, a real etcd), leaves some of them without a WorkloadEndpoint, and
// checks that show / check / release / configure see and do exactly that through the real executable.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EtcdStore } from '../../src/datastore/etcd/index.js';
import { SqliteStore } from '../../src/datastore/sqlite/index.js';
import type { Store } from '../../src/datastore/ports.js';
import { IpamService, assignTunnelAddress } from '../../src/ipam/service/index.js';
import { WorkloadEndpoint, validateDocument, workloadEndpointName, type Resource } from '../../src/model/index.js';
import { ResourceClient } from '../../src/resources/index.js';
import { EtcdServer } from '../support/etcd-server.js';
import { tempDir } from '../support/temp-dir.js';
import { tortie, type CliResult } from '../support/tortie-cli.js';

const dir = tempDir('cli-ipam');
after(() => dir.remove());

function doc(kind: string, name: string, spec: Record<string, unknown>, namespace?: string): Resource {
  const v = validateDocument({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return v.resource;
}

function wep(node: string, pod: string, ip: string): Resource {
  const ids = { node, orchestrator: 'k8s', pod, endpoint: 'eth0' };
  return doc('WorkloadEndpoint', workloadEndpointName(ids), { ...ids, interfaceName: 'cali0123456789a', ipNetworks: [`${ip}/32`] }, 'default');
}

/** The cells of a calicoctl-style table (columns are separated by at least two spaces). */
const rows = (out: string): string[][] => out.trimEnd().split('\n').map((l) => l.split(/\s{2,}/));

function ok(r: CliResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.stderr, '', what);
  return r.stdout;
}

function fails(r: CliResult, code: string, what: string): void {
  assert.equal(r.code, 1, `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^Error \\[${code}\\]: `), what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

interface Backend { readonly name: string; env(): Record<string, string>; open(): Promise<Store> }

interface World { tunnel: string; web: string; api: string; lent: string; gone1: string; gone2: string }

/** Pool, two nodes, node1's IPIP tunnel address, five pods: three with WorkloadEndpoints, two leaked. */
async function populate(b: Backend): Promise<World> {
  const store = await b.open();
  try {
    const client = new ResourceClient(store);
    await client.apply([
      doc('IPPool', 'pool-a', { cidr: '10.65.0.0/16', ipipMode: 'Always' }),
      doc('Node', 'node1', {}), doc('Node', 'node2', {}),
    ]);
    const ipam = new IpamService(store, client);
    const tunnel = await assignTunnelAddress(ipam, 'node1', 'ipip');
    const pod = async (node: string, name: string, attrNode = node): Promise<string> =>
      (await ipam.autoAssign({ node, handle: `k8s-pod-network.${name}`, attributes: { node: attrNode, namespace: 'default', pod: name } }))[0]!;
    const w: World = {
      tunnel, web: await pod('node1', 'web-1'), gone1: await pod('node1', 'gone-1'),
      api: await pod('node2', 'api-1'), gone2: await pod('node2', 'gone-2'),
      // Recorded as node2's although it sits in node1's block: what a borrowed address looks like.
      lent: await pod('node1', 'lent-1', 'node2'),
    };
    await client.apply([wep('node1', 'web-1', w.web), wep('node2', 'api-1', w.api), wep('node2', 'lent-1', w.lent)]);
    return w;
  } finally {
    await store.close();
  }
}

function backendSuite(b: Backend): void {
  describe(`tortie ipam on ${b.name}`, () => {
    let w: World;
    const run = (...args: string[]): Promise<CliResult> => tortie(['ipam', ...args], b.env());
    const report = join(dir.path, `report-${b.name.replace(/\W+/g, '-')}.json`);

    before(async () => { w = await populate(b); });

    it('show: one IP Pool row with calicoctl\'s columns and "N (P%)" cells; --show-blocks adds the blocks', async () => {
      const t = rows(ok(await run('show'), 'show'));
      assert.deepEqual(t, [
        ['GROUPING', 'CIDR', 'IPS TOTAL', 'IPS IN USE', 'IPS FREE'],
        ['IP Pool', '10.65.0.0/16', '65536', '6 (0%)', '65530 (100%)'],
      ]);
      const blocks = rows(ok(await run('show', '--show-blocks'), 'show --show-blocks')).slice(2);
      assert.equal(blocks.length, 2, 'node1 and node2 each claimed one block');
      assert.deepEqual(blocks.map((r) => [r[0], r[2]]), [['Block', '64'], ['Block', '64']]);
      assert.deepEqual(blocks.map((r) => r[3]).sort(), ['2 (3%)', '4 (6%)'], 'node2: api-1 and gone-2; node1: tunnel, web-1, gone-1, lent-1');
      const json = JSON.parse(ok(await run('show', '-o', 'json'), 'show -o json')) as { pools: Array<{ inUse: number; blocks: unknown[] }> };
      assert.equal(json.pools[0]!.inUse, 6);
    });

    it('show --ip: the handle and attributes of an assigned address; "not assigned" otherwise', async () => {
      const out = ok(await run('show', '--ip', w.web), 'show --ip');
      assert.deepEqual(out.split('\n').slice(0, 6), [
        `IP ${w.web} is in use`, 'Handle ID: k8s-pod-network.web-1', 'Attributes:', '  namespace: default', '  node: node1', '  pod: web-1',
      ]);
      assert.match(ok(await run('show', '--ip', w.tunnel), 'tunnel'), /Handle ID: ipip-tunnel-addr-node1\n.*\n  node: node1\n  type: ipipTunnelAddress/);
      assert.equal(ok(await run('show', '--ip', '10.65.250.250'), 'unassigned'), '10.65.250.250 is not assigned\n');
      assert.equal(ok(await run('show', '--ip', '192.0.2.1'), 'outside pools'), '192.0.2.1 is not assigned\n');
      fails(await run('show', '--ip', '10.65.0.0/26'), 'TORTIE_ERR_CLI_USAGE', 'a CIDR is not an address');
      fails(await run('show', '--ip', w.web, '--show-blocks'), 'TORTIE_ERR_CLI_USAGE', 'one view at a time');
    });

    it('show --show-borrowed lists the address recorded for another node than its block\'s owner', async () => {
      const t = rows(ok(await run('show', '--show-borrowed'), 'show --show-borrowed'));
      assert.deepEqual(t[0], ['IP', 'BORROWING-NODE', 'BLOCK', 'BLOCK OWNER', 'TYPE', 'ALLOCATED-TO']);
      assert.equal(t.length, 2);
      assert.deepEqual([t[1]![0], t[1]![1], t[1]![3], t[1]![4], t[1]![5]], [w.lent, 'node2', 'node1', 'pod', 'default/lent-1']);
    });

    it('check finds exactly the two leaks, exits 1 with its code, and writes a report', async () => {
      const r = await run('check', '-o', report);
      fails(r, 'TORTIE_ERR_IPAM_CHECK_PROBLEMS', 'check');
      assert.match(r.stdout, /^Checking IPAM for inconsistencies\.\.\./);
      assert.match(r.stdout, /\nFound 2 IPs that are allocated in IPAM but not actually in use\.\n/);
      assert.match(r.stdout, /\nCheck complete; found 2 problems\.\n/);
      assert.ok(r.stdout.includes(`  ${w.gone1} leaked: allocated to pod default/gone-1 on node1 (handle k8s-pod-network.gone-1), but no WorkloadEndpoint has it`), r.stdout);
      assert.match(r.stderr, /release the leaked ones with: tortie ipam release --from-report /);
      const rep = JSON.parse(readFileSync(report, 'utf8')) as { kind: string; problems: number; summary: unknown; allocations: Array<{ ip: string; inUse: boolean; sequenceNumber: number }> };
      assert.equal(rep.kind, 'IPAMCheckReport');
      assert.equal(rep.problems, 2);
      assert.deepEqual(rep.summary, { leaked: 2 });
      assert.deepEqual(rep.allocations.filter((a) => !a.inUse).map((a) => a.ip).sort(), [w.gone1, w.gone2].sort());
      assert.equal(rep.allocations.length, 6);
      assert.ok(rep.allocations.every((a) => Number.isInteger(a.sequenceNumber)));
    });

    it('release --from-report frees the leaks still leaked, skips one that came back into use; check is then clean', async () => {
      // Between the report and the release, gone-2's pod shows up after all.
      const store = await b.open();
      try { await new ResourceClient(store).apply([wep('node2', 'gone-2', w.gone2)]); } finally { await store.close(); }

      const out = ok(await run('release', '--from-report', report), 'release --from-report');
      assert.ok(out.includes(`  ${w.gone1} released (was pod default/gone-1, handle k8s-pod-network.gone-1)`), out);
      assert.match(out, new RegExp(`  ${w.gone2.replaceAll('.', '\\.')} skipped: now in use by Workload\\(default/node2-k8s-gone--2-eth0\\)`));
      assert.match(out, /Released 1 IP successfully; 1 skipped\./);

      const check = await run('check');
      assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`);
      assert.match(check.stdout, /\nCheck complete; found 0 problems\.\n$/);
      assert.equal(check.stderr, '');
      assert.deepEqual(rows(ok(await run('show'), 'show'))[1], ['IP Pool', '10.65.0.0/16', '65536', '5 (0%)', '65531 (100%)']);
      assert.equal(ok(await run('show', '--ip', w.gone1), 'released'), `${w.gone1} is not assigned\n`);

      const again = ok(await run('release', '--from-report', report), 'the same report again');
      assert.match(again, /already released/);
      assert.match(again, /Released 0 IPs successfully; 2 skipped\./);
    });

    it('release --ip refuses an address in use (unless --force) and one not assigned, releasing the rest', async () => {
      const r = await run('release', '--ip', w.web, '--ip', '10.65.250.250');
      fails(r, 'TORTIE_ERR_IPAM_NOT_RELEASED', 'release --ip');
      assert.match(r.stderr, new RegExp(`IP address ${w.web.replaceAll('.', '\\.')} is in use by Workload\\(default/node1-k8s-web--1-eth0\\)`));
      assert.match(r.stderr, /IP address 10\.65\.250\.250 is not assigned/);
      assert.match(ok(await run('show', '--ip', w.web), 'still assigned'), /is in use/);

      // The pod is gone for real now; its address goes by --ip, and the handle with it.
      const store = await b.open();
      try {
        await new ResourceClient(store).delete([{ kind: WorkloadEndpoint, name: 'node1-k8s-web--1-eth0', namespace: 'default' }]);
      } finally { await store.close(); }
      assert.equal(ok(await run('release', '--ip', w.web), 'release --ip'), `Successfully released IP address ${w.web}\n`);
      const check = await run('check');
      assert.equal(check.code, 0, check.stdout);
      fails(await run('release'), 'TORTIE_ERR_CLI_USAGE', 'nothing to release');
      fails(await run('release', '--ip', w.api, '--from-report', report), 'TORTIE_ERR_CLI_USAGE', 'one source at a time');
      fails(await run('release', '--from-report', join(dir.path, 'missing.json')), 'TORTIE_ERR_FILE_UNREADABLE', 'missing report');
    });

    it('configure: the model refuses invalid combinations and writes nothing; valid changes create, then update, the configuration', async () => {
      const bad = await run('configure', '--max-blocks-per-host', '4');
      fails(bad, 'TORTIE_ERR_IPAM_CONFIG_INVALID', 'a block limit without strict affinity');
      assert.match(bad.stderr, /spec\.maxBlocksPerHost \(--max-blocks-per-host\): 4 needs strictAffinity: true/);
      fails(await tortie(['get', 'ipamconfig', 'default'], b.env()), 'TORTIE_ERR_DATASTORE_NOT_FOUND', 'nothing was written');
      fails(await run('configure'), 'TORTIE_ERR_CLI_USAGE', 'no option');
      fails(await run('configure', '--strictaffinity', 'maybe'), 'TORTIE_ERR_CLI_USAGE', 'not a boolean');

      assert.equal(ok(await run('configure', '--strictaffinity', 'true', '--max-blocks-per-host', '4'), 'configure'),
        'Successfully set StrictAffinity to: true\nSuccessfully set MaxBlocksPerHost to: 4\n');
      assert.equal(ok(await run('configure', '--autoallocateblocks', 'false'), 'configure'), 'Successfully set AutoAllocateBlocks to: false\n');
      assert.deepEqual(rows(ok(await run('show', '--show-configuration'), 'show --show-configuration')), [
        ['PROPERTY', 'VALUE'], ['StrictAffinity', 'true'], ['AutoAllocateBlocks', 'false'], ['MaxBlocksPerHost', '4'],
      ]);
      fails(await run('configure', '--strictaffinity', 'false'), 'TORTIE_ERR_IPAM_CONFIG_INVALID', 'would leave a host without addresses');

      const store = await b.open();
      try {
        assert.deepEqual(await new IpamService(store, new ResourceClient(store)).config(), { strictAffinity: true, autoAllocateBlocks: false, maxBlocksPerHost: 4 });
      } finally { await store.close(); }
    });
  });
}

const sqlitePath = join(dir.path, 'store.db');
backendSuite({
  name: 'embedded (SQLite)',
  env: () => ({ TORTIE_STORE_PATH: sqlitePath }),
  open: async () => new SqliteStore({ path: sqlitePath }),
});

let etcd: EtcdServer;
before(async () => { etcd = await EtcdServer.start(); });
after(async () => { await etcd?.stop(); });
backendSuite({
  name: 'etcd',
  env: () => ({ TORTIE_DATASTORE: 'etcd', TORTIE_ETCD_ENDPOINTS: etcd.endpoint }),
  open: () => EtcdStore.open({ endpoints: [etcd.endpoint] }),
});
