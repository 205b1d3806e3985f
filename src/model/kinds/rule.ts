// Rule, EntityRule and their parts: the match-and-action unit that NetworkPolicy,
// GlobalNetworkPolicy and Profile list (calico.md §1). Field names and limits follow Calico's
// api/pkg/apis/projectcalico/v3/policy_common.go; the cross-field rules follow validateRule and
// validateEntityRule in libcalico-go/lib/validator/v3/validator.go and the CEL rules on those types.

import { z } from 'zod';
import {
  canonicalNet, dnsSubdomain, intIn, ipOrCidr, labelKeyProblem, listOf, onObject, parseIPOrCIDR, port, protocol, selector, type PROTOCOLS,
} from '../fields.js';
import { show } from '../issues.js';

export const RULE_ACTIONS = ['Allow', 'Deny', 'Log', 'Pass'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];
export type Protocol = (typeof PROTOCOLS)[number] | number;
/** A port number, a "min:max" range, or a named port. */
export type Port = number | string;

export const MAX_RULES = 1024;
export const MAX_NETS = 256;
export const MAX_PORTS = 50;
const MAX_HTTP_ITEMS = 20;
const MAX_ANNOTATION_BYTES = 256 * 1024;

export interface ICMPFields { type?: number; code?: number }
export interface ServiceAccountMatch { names?: string[]; selector?: string }
export interface ServiceMatch { name: string; namespace?: string }
export interface EntityRule {
  nets?: string[];
  notNets?: string[];
  selector?: string;
  notSelector?: string;
  namespaceSelector?: string;
  ports?: Port[];
  notPorts?: Port[];
  serviceAccounts?: ServiceAccountMatch;
  services?: ServiceMatch;
}
export interface HTTPPath { exact?: string; prefix?: string }
export interface HTTPMatch { methods?: string[]; paths?: HTTPPath[] }
export interface Rule {
  action: RuleAction;
  ipVersion?: 4 | 6;
  protocol?: Protocol;
  notProtocol?: Protocol;
  icmp?: ICMPFields;
  notICMP?: ICMPFields;
  source?: EntityRule;
  destination?: EntityRule;
  http?: HTTPMatch;
  metadata?: { annotations?: Record<string, string> };
}

// The cross-field checks run even when a field failed (zod's `when`), so every problem of a
// document is reported at once; they therefore look at values defensively.
const always = { when: () => true } as const;
type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const present = (v: unknown): boolean => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);
type Path = Array<string | number>;
const issueAt = (ctx: z.RefinementCtx, path: Path, input: unknown, message: string): void => {
  ctx.addIssue({ code: 'custom', path, input, message });
};

const PROTOCOL_NUMBERS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP', 136: 'UDPLite' };

/** The protocol's name in Calico's case, for names and numbers alike (6 → "TCP"); null if unset or unknown. */
export function protocolName(v: unknown): string | null {
  if (typeof v === 'number') return PROTOCOL_NUMBERS[v] ?? null;
  if (typeof v !== 'string') return null;
  if (/^\d+$/.test(v)) return PROTOCOL_NUMBERS[Number(v)] ?? null;
  return Object.values(PROTOCOL_NUMBERS).find((p) => p.toLowerCase() === v.toLowerCase()) ?? null;
}

/** Calico's JSON form of a port: a single port as a number, a range as "min:max", a name as itself. */
export function canonicalPort(v: Port): Port {
  if (typeof v === 'number') return v;
  const m = /^(\d+)(?::(\d+))?$/.exec(v);
  if (!m) return v;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo === hi ? lo : `${lo}:${hi}`;
}

// Calico's validatePort: port numbers start at 1 (the shared port() field also takes 0).
const rulePort = () => port().superRefine((v, ctx) => {
  const lo = typeof v === 'number' ? v : /^\d+(:\d+)?$/.test(v) ? Number(v.split(':')[0]) : null;
  if (lo === 0) {
    ctx.addIssue({ code: 'custom', input: v, message: typeof v === 'number' ? '0 is not a port number (1–65535)' : `${show(v)} starts at port 0; ports are 1–65535` });
  }
}).transform(canonicalPort);

// A rule's nets: a CIDR or a bare address. Calico's `net` rule wants host bits clear; a bare address
// (which Calico's field rule accepts but its rule check then rejects) is stored as its /32 or /128.
const netList = () => listOf(ipOrCidr({ masked: true }).transform((s) => canonicalNet(s)!), MAX_NETS);

const ipVersion = () => z.number()
  .refine((v) => v === 4 || v === 6, { error: (i) => `${show(i.input)} is not an IP version: use 4 or 6` })
  .transform((v) => v as 4 | 6);

export const icmpFields = z.strictObject({
  type: intIn(0, 254).optional(),
  code: intIn(0, 255).optional(),
}).superRefine(onObject((f, ctx) => {
  // The kernel matches an ICMP code only together with a type.
  if (f['code'] !== undefined && f['type'] === undefined) {
    issueAt(ctx, ['code'], f['code'], `${show(f['code'])} is set without a type: an ICMP code is matched only within a type`);
  }
}), always);

const httpPath = z.strictObject({
  exact: z.string().max(1024).optional(),
  prefix: z.string().max(1024).optional(),
}).superRefine(onObject((p, ctx) => {
  if (p['exact'] !== undefined && p['prefix'] !== undefined) issueAt(ctx, [], p, 'sets both exact and prefix: use one of them');
  else if (p['exact'] === undefined && p['prefix'] === undefined) issueAt(ctx, [], p, 'needs exact or prefix');
  for (const f of ['exact', 'prefix'] as const) {
    const v = p[f];
    if (typeof v === 'string' && (!v.startsWith('/') || /[? #]/.test(v))) {
      issueAt(ctx, [f], v, `${show(v)} is not a URL path: it starts with "/" and has no "?", "#" or space`);
    }
  }
}), always);

export const httpMatch = z.strictObject({
  methods: listOf(z.string(), MAX_HTTP_ITEMS).optional(),
  paths: listOf(httpPath, MAX_HTTP_ITEMS).optional(),
}).superRefine(onObject((h, ctx) => {
  list(h['methods']).forEach((m, i, all) => {
    if (all.indexOf(m) < i) issueAt(ctx, ['methods', i], m, `${show(m)} is listed twice`);
  });
}), always);

const ruleMetadata = z.strictObject({
  annotations: z.record(z.string(), z.string()).optional(),
}).superRefine(onObject((m, ctx) => {
  const utf8 = new TextEncoder();
  // Calico's validateObjectMetaAnnotations: qualified-name keys (checked in lower case), 256 KiB in all.
  let bytes = 0;
  for (const [k, v] of Object.entries(isObj(m['annotations']) ? m['annotations'] : {})) {
    const p = labelKeyProblem(k.toLowerCase());
    if (p) issueAt(ctx, ['annotations', k], k, p.replace(/^label key/, 'annotation key'));
    bytes += utf8.encode(k).length + utf8.encode(String(v)).length;
  }
  if (bytes > MAX_ANNOTATION_BYTES) issueAt(ctx, ['annotations'], bytes, `are ${bytes} bytes in all; at most ${MAX_ANNOTATION_BYTES}`);
}), always);

const entityFields = z.strictObject({
  nets: netList().optional(),
  notNets: netList().optional(),
  selector: selector().optional(),
  notSelector: selector().optional(),
  namespaceSelector: selector().optional(),
  ports: listOf(rulePort(), MAX_PORTS).optional(),
  notPorts: listOf(rulePort(), MAX_PORTS).optional(),
  serviceAccounts: z.strictObject({ names: z.array(z.string().min(1)).optional(), selector: selector().optional() }).optional(),
  services: z.strictObject({ name: dnsSubdomain(), namespace: dnsSubdomain().optional() }).optional(),
});

const SERVICE_CONFLICTS = ['selector', 'notSelector', 'namespaceSelector', 'serviceAccounts', 'nets', 'notNets'] as const;

function checkEntity(e: Raw, ctx: z.RefinementCtx): void {
  const sel = e['selector'];
  if (typeof sel === 'string' && sel.includes('global(')) {
    issueAt(ctx, ['selector'], sel, `${show(sel)} uses global(), which only a namespaceSelector may use`);
  }
  const ns = e['namespaceSelector'];
  if (typeof ns === 'string' && ns.includes('global(') && ns.trim() !== 'global()') {
    issueAt(ctx, ['namespaceSelector'], ns, `${show(ns)} combines global() with other terms: global() must stand alone`);
  }
  if (e['services'] !== undefined) {
    for (const f of SERVICE_CONFLICTS) {
      if (present(e[f])) issueAt(ctx, ['services'], e['services'], `cannot be combined with ${f}: a services match takes its endpoints from the Service`);
    }
  }
}

/** Calico's EntityRule; empty fields are dropped, as Calico's JSON drops them. */
export const entityRule = entityFields
  .superRefine(onObject(checkEntity), always)
  .transform((e): EntityRule => Object.fromEntries(Object.entries(e).filter(([, v]) => present(v))) as EntityRule);

const ruleFields = z.strictObject({
  action: z.enum(RULE_ACTIONS),
  ipVersion: ipVersion().optional(),
  protocol: protocol().optional(),
  notProtocol: protocol().optional(),
  icmp: icmpFields.optional(),
  notICMP: icmpFields.optional(),
  source: entityRule.optional(),
  destination: entityRule.optional(),
  http: httpMatch.optional(),
  metadata: ruleMetadata.optional(),
});

const SIDES = ['source', 'destination'] as const;

function checkRule(r: Raw, ctx: z.RefinementCtx): void {
  const proto = protocolName(r['protocol']);
  const protoSet = r['protocol'] !== undefined;
  const whatProto = protoSet ? `, not ${show(r['protocol'])}` : ' (it has none)';
  const v = r['ipVersion'] === 4 || r['ipVersion'] === 6 ? r['ipVersion'] : undefined;

  // Ports exist only for TCP, UDP and SCTP (Calico's Protocol.SupportsPorts).
  for (const side of SIDES) {
    const e = isObj(r[side]) ? r[side] : {};
    for (const f of ['ports', 'notPorts'] as const) {
      if (list(e[f]).length > 0 && !(proto === 'TCP' || proto === 'UDP' || proto === 'SCTP')) {
        issueAt(ctx, [side, f], e[f], `need protocol TCP, UDP or SCTP in the rule${whatProto}`);
      }
    }
  }
  // A Service match uses the ports of the Service's endpoints.
  const dst = isObj(r['destination']) ? r['destination'] : {};
  if (dst['services'] !== undefined) {
    for (const f of ['ports', 'notPorts'] as const) {
      if (list(dst[f]).length > 0) issueAt(ctx, ['destination', f], dst[f], 'cannot be used with destination.services: the Service\'s own ports are matched');
    }
  }
  if (r['http'] !== undefined) {
    if (typeof r['action'] === 'string' && r['action'] !== 'Allow') issueAt(ctx, ['http'], r['http'], `is only allowed in Allow rules, not in a ${r['action']} rule`);
    if (protoSet && proto !== 'TCP') issueAt(ctx, ['protocol'], r['protocol'], `${show(r['protocol'])} cannot carry an http match: use TCP or leave protocol unset`);
  }
  for (const f of ['icmp', 'notICMP'] as const) {
    if (r[f] !== undefined && proto !== 'ICMP' && proto !== 'ICMPv6') issueAt(ctx, [f], r[f], `needs protocol ICMP or ICMPv6 in the rule${whatProto}`);
  }
  for (const f of ['protocol', 'notProtocol'] as const) {
    const p = protocolName(r[f]);
    if (p === 'ICMP' && v === 6) issueAt(ctx, ['ipVersion'], v, `6 does not fit ${f} ICMP, which is IPv4: use ipVersion 4 or ICMPv6`);
    if (p === 'ICMPv6' && v === 4) issueAt(ctx, ['ipVersion'], v, `4 does not fit ${f} ICMPv6, which is IPv6: use ipVersion 6 or ICMP`);
  }
  // One rule matches one IP family: every CIDR must agree with ipVersion and with each other.
  let seen4 = false, seen6 = false;
  for (const side of SIDES) {
    const e = isObj(r[side]) ? r[side] : {};
    for (const f of ['nets', 'notNets'] as const) {
      let v4 = false, v6 = false;
      list(e[f]).forEach((n, i) => {
        const c = typeof n === 'string' ? parseIPOrCIDR(n) : null;
        if (c === null) return;
        if (v !== undefined && c.version !== v) issueAt(ctx, [side, f, i], n, `${show(n)} is IPv${c.version} but the rule's ipVersion is ${v}`);
        if (c.version === 4) v4 = true; else v6 = true;
      });
      if ((v4 && v6) || (v4 && seen6) || (v6 && seen4)) {
        issueAt(ctx, [side, f], e[f], 'mixes IPv4 and IPv6 networks in one rule: write one rule per IP version');
      }
      seen4 ||= v4;
      seen6 ||= v6;
    }
  }
}

/** Calico's Rule; an empty source or destination is dropped. */
export const rule = ruleFields
  .superRefine(onObject(checkRule), always)
  .transform((r): Rule => {
    const out = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as Rule;
    if (out.source && Object.keys(out.source).length === 0) delete out.source;
    if (out.destination && Object.keys(out.destination).length === 0) delete out.destination;
    return out;
  });

/** `ingress` or `egress` of a policy or profile: at most 1024 rules; stored as a list, empty if absent. */
export const ruleList = () => listOf(rule, MAX_RULES).default([]);

/**
 * The direction rules of validateNetworkPolicySpec / validateGlobalNetworkPolicySpec: Services are
 * matched in an ingress rule's source and an egress rule's destination; http only on ingress; in a
 * GlobalNetworkPolicy a Service needs its namespace.
 */
export function checkRuleDirections(spec: Raw, ctx: z.RefinementCtx, opts: { global: boolean }): void {
  list(spec['ingress']).forEach((r, i) => {
    if (!isObj(r)) return;
    const dst = isObj(r['destination']) ? r['destination'] : {};
    const src = isObj(r['source']) ? r['source'] : {};
    if (dst['services'] !== undefined) issueAt(ctx, ['ingress', i, 'destination', 'services'], dst['services'], 'is not allowed in an ingress rule: match the Service in the source');
    if (opts.global && isObj(src['services']) && !present(src['services']['namespace'])) {
      issueAt(ctx, ['ingress', i, 'source', 'services', 'namespace'], undefined, 'is required in a GlobalNetworkPolicy: a Service is named within its namespace');
    }
  });
  list(spec['egress']).forEach((r, i) => {
    if (!isObj(r)) return;
    const dst = isObj(r['destination']) ? r['destination'] : {};
    const src = isObj(r['source']) ? r['source'] : {};
    if (src['services'] !== undefined) issueAt(ctx, ['egress', i, 'source', 'services'], src['services'], 'is not allowed in an egress rule: match the Service in the destination');
    if (r['http'] !== undefined) issueAt(ctx, ['egress', i, 'http'], r['http'], 'is not allowed in an egress rule: http matches apply to ingress only');
    if (opts.global && isObj(dst['services']) && !present(dst['services']['namespace'])) {
      issueAt(ctx, ['egress', i, 'destination', 'services', 'namespace'], undefined, 'is required in a GlobalNetworkPolicy: a Service is named within its namespace');
    }
  });
}
