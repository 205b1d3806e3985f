// calicoctl's BGP output for Tortie's speaker: the `node status` peer table ("IPv4 BGP status",
// PEER ADDRESS | PEER TYPE | STATE | SINCE | INFO, plus Tortie's prefix counts) and the Loc-RIB
// of `tortie bgp routes` with the rule that made each best path win. Pure: status in, text out.

import Table from 'cli-table3';

export interface PeerRow {
  readonly address: string; readonly port?: number; readonly type: string; readonly state: string; readonly since: string; readonly info: string;
  readonly prefixes?: { readonly received: number; readonly accepted: number; readonly advertised: number };
}
export interface RouteRow {
  readonly prefix: string; readonly nextHops: readonly string[]; readonly from: string; readonly fromName?: string;
  readonly decidedBy: string; readonly ecmp: number; readonly asPath: string; readonly localPref?: number;
  readonly originatorId?: string; readonly clusterList?: readonly string[];
}

/** BIRD's SINCE column: the time of day for today, the date otherwise. */
export function birdSince(iso: string, now: Date): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '?';
  const s = t.toISOString();
  return s.slice(0, 10) === now.toISOString().slice(0, 10) ? s.slice(11, 19) : s.slice(0, 10);
}

function bordered(head: readonly string[], rows: readonly string[][]): string {
  const t = new Table({
    head: [...head], style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true },
    chars: { top: '-', 'top-mid': '+', 'top-left': '+', 'top-right': '+', bottom: '-', 'bottom-mid': '+', 'bottom-left': '+', 'bottom-right': '+',
      left: '|', 'left-mid': '+', mid: '-', 'mid-mid': '+', right: '|', 'right-mid': '+', middle: '|' },
  });
  for (const r of rows) t.push([...r]);
  return t.toString();
}

export function renderPeerTables(peers: readonly PeerRow[], now: Date): string {
  const out: string[] = [];
  for (const v of [4, 6] as const) {
    const mine = peers.filter((p) => (p.address.includes(':') ? 6 : 4) === v);
    out.push(`IPv${v} BGP status`);
    if (mine.length === 0) { out.push(`No IPv${v} peers found.`, ''); continue; }
    out.push(bordered(['PEER ADDRESS', 'PEER TYPE', 'STATE', 'SINCE', 'INFO', 'RECEIVED', 'ACCEPTED', 'ADVERTISED'],
      mine.map((p) => [
        p.port && p.port !== 179 ? `${p.address}:${p.port}` : p.address, p.type, p.state, birdSince(p.since, now), p.info,
        String(p.prefixes?.received ?? 0), String(p.prefixes?.accepted ?? 0), String(p.prefixes?.advertised ?? 0),
      ])), '');
  }
  return out.join('\n');
}

export function renderRoutes(routes: readonly RouteRow[]): string {
  const plain = { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '' };
  const t = new Table({ head: ['PREFIX', 'NEXT HOP', 'FROM', 'AS PATH', 'LOCAL PREF', 'WON BY', 'DETAIL'], chars: plain,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 3, compact: true } });
  for (const r of routes) {
    const detail = [r.ecmp > 1 ? `ecmp ${r.ecmp}` : '', r.originatorId ? `originator ${r.originatorId}` : '', r.clusterList?.length ? `cluster-list ${r.clusterList.join(',')}` : '']
      .filter(Boolean).join('; ');
    t.push([r.prefix, r.nextHops.join(',') || '-', r.from === 'local' ? 'local' : `${r.fromName ?? r.from} (${r.from})`, r.asPath || '-', r.localPref === undefined ? '-' : String(r.localPref), r.decidedBy, detail]);
  }
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}
