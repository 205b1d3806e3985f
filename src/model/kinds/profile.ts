// Profile (calico.md §1, §6; Calico's api/.../v3/profile.go): rules and labels an endpoint takes on
// by naming the profile. Endpoints reach a profile's rules only when no policy decided first; the
// endpoint's own labels win over labelsToApply. Kubernetes namespaces become `kns.<name>` profiles.

import { z } from 'zod';
import { labels } from '../fields.js';
import { defineKind } from '../kind.js';
import { ruleList, type Rule } from './rule.js';

export interface ProfileSpec {
  ingress: Rule[];
  egress: Rule[];
  labelsToApply: Record<string, string>;
}

export const profileSpec = z.strictObject({
  ingress: ruleList(),
  egress: ruleList(),
  labelsToApply: labels().default({}),
}).transform((s): ProfileSpec => s);

export const Profile = defineKind({
  kind: 'Profile', plural: 'profiles', namespaced: false,
  // calicoctl's names (calicoctl/resourcemgr/profile.go).
  shortNames: ['pro', 'pros'],
  spec: profileSpec,
});
