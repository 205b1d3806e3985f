// apply --dry-run [--impact]: what an apply would write, and which (from, to, protocol, port)
// pairs would change verdict — read-only, the datastore is never written.

import { isDeepStrictEqual } from 'node:util';
import { isTortieError } from '../../lib/errors.js';
import { kindByKind, refOf, type Resource } from '../../model/index.js';
import { impactOf, protocolLabel } from '../../policy/index.js';
import { loadPolicyResources, type ResourceClient } from '../../resources/index.js';
import { renderTable } from '../print.js';

async function wouldDo(client: ResourceClient, r: Resource): Promise<string> {
  try {
    const cur = await client.get(kindByKind(r.kind)!, r.metadata.name, r.metadata.namespace);
    const same = isDeepStrictEqual(cur.spec, r.spec) && isDeepStrictEqual(cur.metadata.labels ?? {}, r.metadata.labels ?? {});
    return same ? 'unchanged' : 'configured';
  } catch (e) {
    if (isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) return 'created';
    throw e;
  }
}

export async function dryRunApply(client: ResourceClient, resources: readonly Resource[], opts: { impact: boolean; output: string }): Promise<string> {
  const lines: string[] = [];
  for (const r of resources) lines.push(`${refOf(r)} would be ${await wouldDo(client, r)} (dry run: nothing written)`);
  if (!opts.impact) return `${lines.join('\n')}\n`;
  const { ports, rows } = impactOf(await loadPolicyResources(client), resources);
  if (opts.output === 'json') {
    return `${JSON.stringify(rows.map((r) => ({ ...r, protocol: protocolLabel(r.protocol).toLowerCase() })), null, 2)}\n`;
  }
  lines.push('');
  if (rows.length === 0) {
    lines.push(`Impact: no (from, to, port) pair changes verdict (probed ports ${ports.join(', ')} over TCP, UDP, SCTP and ICMP echo).`);
  } else {
    lines.push(`Impact: ${rows.length} (from, to, port) pair${rows.length === 1 ? '' : 's'} would change verdict (probed ports ${ports.join(', ')}):`);
    lines.push(renderTable(['FROM', 'TO', 'PROTOCOL', 'PORT', 'NOW', 'AFTER APPLY'],
      rows.map((r) => [r.from, r.to, protocolLabel(r.protocol), r.port === null ? '-' : String(r.port), r.before, r.after])));
  }
  return `${lines.join('\n')}\n`;
}
