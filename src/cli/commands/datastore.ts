// datastore status [-o json]: is the datastore this client is configured for up, and — for an etcd
// cluster — how is each member (etcdctl endpoint status, for Tortie's own configuration): which
// one this client would use, which is the leader, which are down and what they said.
// Exit status: 0 every member answers with a leader, 1 some do not (the cluster is degraded but
// serves while a quorum is up), 2 none answers.

import type { Command } from '@commander-js/extra-typings';
import { TortieError } from '../../lib/errors.js';
import { describeDatastore } from '../../datastore/config.js';
import { openStore } from '../../datastore/connect/index.js';
import type { MemberProbe } from '../../datastore/ports.js';
import { datastoreConfig, type GlobalOptions } from '../context.js';
import { renderTable } from '../print.js';

const size = (b: number | undefined): string =>
  b === undefined ? '-' : b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${Math.round(b / 1024)} KiB`;

function memberRow(m: MemberProbe): string[] {
  if (m.error !== undefined) return [m.endpoint, m.inUse ? 'yes' : '', 'down', '-', '-', '-', '-', m.error];
  const state = m.hasLeader ? (m.isLeader ? 'leader' : 'follower') : 'no leader';
  return [m.endpoint, m.inUse ? 'yes' : '', state, m.version ?? '-', size(m.dbSizeBytes), String(m.raftTerm ?? '-'), String(m.raftIndex ?? '-'), (m.problems ?? []).join('; ') || '-'];
}

export function registerDatastoreCommand(program: Command<[], GlobalOptions>): void {
  const ds = program.command('datastore').description('the datastore this client uses: status');
  ds.command('status').description('is the datastore up; for etcd, how each member is')
    .option('-o, --output <format>', 'text | json', 'text')
    .action(async (opts, c) => {
      if (opts.output !== 'text' && opts.output !== 'json') throw new TortieError('TORTIE_ERR_CLI_USAGE', `Output format "${opts.output}" is not one of: text, json`);
      const config = datastoreConfig(c.optsWithGlobals() as GlobalOptions);
      const store = await openStore(config);
      try {
        if (!store.probeMembers) {
          const revision = await store.revision();
          if (opts.output === 'json') process.stdout.write(`${JSON.stringify({ datastore: describeDatastore(config), ok: true, revision }, null, 2)}\n`);
          else process.stdout.write(`${describeDatastore(config)}: ok, at revision ${revision}\n`);
          return;
        }
        const members = await store.probeMembers();
        const up = members.filter((m) => m.error === undefined && m.hasLeader);
        if (opts.output === 'json') {
          process.stdout.write(`${JSON.stringify({ datastore: describeDatastore(config), members }, null, 2)}\n`);
        } else {
          const quorum = Math.floor(members.length / 2) + 1;
          const verdict = up.length === members.length ? 'every member is up'
            : up.length >= quorum ? `DEGRADED: ${members.length - up.length} of ${members.length} member(s) down or without a leader; the cluster serves while ${quorum} are up`
            : up.length > 0 ? `UNAVAILABLE: only ${up.length} of ${members.length} member(s) up with a leader` : 'UNREACHABLE: no member answered';
          process.stdout.write(`${describeDatastore(config)}: ${verdict}\n\n${renderTable(['MEMBER', 'IN USE', 'STATE', 'VERSION', 'DB SIZE', 'RAFT TERM', 'RAFT INDEX', 'PROBLEMS'], members.map(memberRow))}\n`);
        }
        process.exitCode = up.length === members.length ? 0 : members.every((m) => m.error !== undefined) ? 2 : 1;
      } finally {
        await store.close();
      }
    });
}
