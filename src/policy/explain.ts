// A trace in words, for an operator at 3 a.m.: the verdict first, then per direction the one line
// that decided and the path that led there.

import type { Decision, DirectionResult } from './evaluate.js';
import type { Side, TraceResult } from './trace.js';

function decisionText(d: Decision): string {
  switch (d.by) {
    case 'policy-rule': return `${d.policy} (tier ${d.tier}), rule ${d.rule}: ${d.action}`;
    case 'end-of-tier': return `end of tier ${d.tier}: a policy in this tier selects the endpoint but none allowed or passed the packet, so it is denied (default deny)`;
    case 'profile-rule': return `profile ${d.profile}, rule ${d.rule}: ${d.action} (no policy decided)`;
    case 'missing-profile': return `profile ${d.profile} does not exist: treated as deny all`;
    case 'no-profile-decided': return d.profiles.length === 0
      ? 'no policy decided and the endpoint has no profile: denied'
      : `no policy decided and no rule of profile ${d.profiles.join(', ')} matched: denied`;
  }
}

function sideLines(s: Side): string[] {
  if (!('verdict' in s)) return [`${s.direction}: not policed (${s.skipped})`];
  const r: DirectionResult = s;
  const lines = [`${r.direction} of ${r.endpoint}: ${r.verdict.toUpperCase()} by ${decisionText(r.decision)}`];
  for (const t of r.tiers) {
    lines.push(`  tier ${t.tier}:`);
    for (const p of t.policies) {
      const logged = p.logged.length > 0 ? ` (logged by rule ${p.logged.join(', ')})` : '';
      lines.push(`    ${p.policy}: ${p.rule === null ? 'no rule matched' : `rule ${p.rule} matched → ${p.action}`}${logged}`);
    }
    if (t.outcome === 'pass') lines.push('    → passed to the next tier');
    if (t.outcome === 'end-of-tier') lines.push('    → end of tier: deny');
  }
  if (r.tiers.length === 0 && r.decision.by !== 'policy-rule') lines.push('  no policy selects this endpoint in this direction');
  for (const p of r.profiles) {
    lines.push(`  profile ${p.profile}: ${p.missing ? 'does not exist (deny all)' : p.rule === null ? 'no rule matched' : `rule ${p.rule} matched → ${p.action}`}`);
  }
  return lines;
}

export function explainTrace(t: TraceResult): string {
  const what = t.port !== null ? `${t.protocol} port ${t.port}` : t.icmpType !== null ? `${t.protocol} type ${t.icmpType} code ${t.icmpCode}` : t.protocol;
  const lines = [`${t.verdict.toUpperCase()}: ${t.from} (${t.srcIP}) → ${t.to} (${t.dstIP}), ${what}`];
  if (t.note) lines.push(t.note);
  else lines.push(...sideLines(t.egress), ...sideLines(t.ingress));
  return `${lines.join('\n')}\n`;
}
