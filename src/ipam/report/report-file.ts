// The JSON report `ipam check -o FILE` writes and `ipam release --from-report FILE` reads, and the
// decision of what such a release may free. Like calicoctl's report, it lists every allocation with
// its handle, sequence number, attributes and owners (`inUse: false` = leaked) and the empty handles.
//
// A report is old news by the time it is used, so nothing is released on its word alone: each
// leaked address is re-checked against a fresh check made just before the release (still allocated
// with the same handle and sequence number, and, unless forced, still unused), and the release
// itself carries the sequence number, so an address re-allocated in between is never freed.

import { z } from 'zod';
import type { CheckResult, Finding, FindingKind } from './check.js';

export const REPORT_API_VERSION = 'tortie.io/v1';
export const REPORT_KIND = 'IPAMCheckReport';

const allocationSchema = z.object({
  ip: z.string(),
  block: z.string(),
  handle: z.string().optional(),
  sequenceNumber: z.number().int().nonnegative().optional(),
  pod: z.string().optional(),
  namespace: z.string().optional(),
  node: z.string().optional(),
  type: z.string().optional(),
  creationTimestamp: z.string().optional(),
  inUse: z.boolean(),
  borrowed: z.boolean().optional(),
  owners: z.array(z.string()),
});

const reportSchema = z.object({
  apiVersion: z.literal(REPORT_API_VERSION),
  kind: z.literal(REPORT_KIND),
  tortieVersion: z.string(),
  generatedAt: z.string(),
  datastore: z.string(),
  problems: z.number().int().nonnegative(),
  summary: z.record(z.string(), z.number()),
  findings: z.array(z.object({ kind: z.string(), message: z.string() }).loose()),
  allocations: z.array(allocationSchema),
  leakedHandles: z.array(z.object({ id: z.string(), revision: z.number().int().nonnegative() })),
});

export type ReportAllocation = z.output<typeof allocationSchema>;
export type IpamReport = z.output<typeof reportSchema>;

export interface ReportMeta {
  readonly tortieVersion: string;
  /** RFC 3339; supplied by the caller (this module reads no clock). */
  readonly generatedAt: string;
  readonly datastore: string;
}

export function buildReport(check: CheckResult, meta: ReportMeta): IpamReport {
  const summary: Partial<Record<FindingKind, number>> = {};
  for (const f of check.findings) summary[f.kind] = (summary[f.kind] ?? 0) + 1;
  return {
    apiVersion: REPORT_API_VERSION,
    kind: REPORT_KIND,
    ...meta,
    problems: check.findings.length,
    summary: summary as Record<string, number>,
    findings: check.findings.map((f: Finding) => ({ ...f })),
    allocations: check.allocations.map((a) => {
      const attr = (k: string): Record<string, string> => (a.attributes[k] ? { [k === 'timestamp' ? 'creationTimestamp' : k]: a.attributes[k]! } : {});
      return {
        ip: a.ip, block: a.block,
        ...(a.handle !== null ? { handle: a.handle } : {}),
        ...(a.sequenceNumber !== null ? { sequenceNumber: a.sequenceNumber } : {}),
        ...attr('pod'), ...attr('namespace'), ...(a.node ? { node: a.node } : {}), ...attr('type'), ...attr('timestamp'),
        inUse: a.inUse, ...(a.borrowed ? { borrowed: true } : {}), owners: [...a.owners],
      };
    }),
    leakedHandles: check.emptyHandles.map((h) => ({ ...h })),
  };
}

/** The report in `value`, or what is wrong with it (field paths). */
export function parseReport(value: unknown): { ok: true; report: IpamReport } | { ok: false; problems: string[] } {
  const head = typeof value === 'object' && value !== null ? value as Record<string, unknown> : {};
  if (head['kind'] !== REPORT_KIND || head['apiVersion'] !== REPORT_API_VERSION) {
    return { ok: false, problems: [`it has kind ${JSON.stringify(head['kind'] ?? null)} and apiVersion ${JSON.stringify(head['apiVersion'] ?? null)}, not ${REPORT_KIND} and ${REPORT_API_VERSION}`] };
  }
  const r = reportSchema.safeParse(value);
  if (r.success) return { ok: true, report: r.data };
  return {
    ok: false,
    problems: r.error.issues.slice(0, 10).map((i) => `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`),
  };
}

export type IpDecision =
  | { readonly ip: string; readonly release: true; readonly sequenceNumber: number | null; readonly was: string }
  | { readonly ip: string; readonly release: false; readonly reason: string };

export type HandleDecision =
  | { readonly id: string; readonly delete: true; readonly revision: number }
  | { readonly id: string; readonly delete: false; readonly reason: string };

function wasOf(a: ReportAllocation): string {
  const who = a.pod ? `pod ${a.namespace ?? ''}/${a.pod}` : a.type ? `${a.type} of ${a.node ?? '?'}` : a.node ? `node ${a.node}` : '';
  return [who, a.handle ? `handle ${a.handle}` : ''].filter(Boolean).join(', ');
}

/**
 * What a release from `report` may do now, judged against `fresh` (a check made just before):
 * only the report's leaked addresses, each still allocated exactly as the report saw it, and (unless
 * `force`) still unused, with no other address of its handle in use; only empty handles that have
 * not changed since.
 */
export function planRelease(report: IpamReport, fresh: CheckResult, force: boolean): { ips: IpDecision[]; handles: HandleDecision[] } {
  const now = new Map(fresh.allocations.map((a) => [`${a.ip} ${a.block}`, a] as const));
  const inUseByHandle = new Map(fresh.allocations.filter((a) => a.inUse && a.handle !== null).map((a) => [a.handle!, a.ip] as const));
  const seen = new Set<string>();
  const ips: IpDecision[] = [];
  for (const a of report.allocations) {
    if (a.inUse || seen.has(`${a.ip} ${a.block}`)) continue;
    seen.add(`${a.ip} ${a.block}`);
    const cur = now.get(`${a.ip} ${a.block}`);
    if (!cur) { ips.push({ ip: a.ip, release: false, reason: 'no longer allocated (already released)' }); continue; }
    if ((cur.handle ?? undefined) !== a.handle || (cur.sequenceNumber ?? undefined) !== a.sequenceNumber) {
      ips.push({ ip: a.ip, release: false, reason: `re-allocated since the report (now ${cur.handle ? `handle ${cur.handle}` : 'no handle'})` });
      continue;
    }
    if (cur.inUse && !force) { ips.push({ ip: a.ip, release: false, reason: `now in use by ${cur.owners.join(', ')} (--force releases it anyway)` }); continue; }
    // Handles are all or nothing, as in Calico's leak GC: a sibling in use means the owner is alive.
    const sibling = cur.handle === null ? undefined : inUseByHandle.get(cur.handle);
    if (sibling && !force) { ips.push({ ip: a.ip, release: false, reason: `handle ${cur.handle} still has ${sibling} in use (--force releases it anyway)` }); continue; }
    ips.push({ ip: a.ip, release: true, sequenceNumber: cur.sequenceNumber, was: wasOf(a) });
  }
  const empty = new Map(fresh.emptyHandles.map((h) => [h.id, h.revision] as const));
  const handles: HandleDecision[] = report.leakedHandles.map((h) => {
    const rev = empty.get(h.id);
    if (rev === h.revision || force) return { id: h.id, delete: true, revision: h.revision };
    return { id: h.id, delete: false, reason: rev === undefined ? 'no longer empty, or gone' : 'changed since the report' };
  });
  return { ips, handles };
}
