// A selector's unique ID, Calico's recipe (libcalico-go/lib/hash/unique_id.go, MakeUniqueID with
// prefix "s"): "s:" + unpadded base64url of SHA-224 over the UTF-8 bytes of "s:" + canonical form.
// Felix names the selector's IP set after it, so selectors that print the same share one set.
// Hashing is pure: node:crypto is used for its digest only.

import { createHash } from 'node:crypto';
import type { Selector } from './ast.js';
import { printSelector } from './print.js';

export function selectorId(sel: Selector): string {
  const canonical = printSelector(sel);
  return `s:${createHash('sha224').update(`s:${canonical}`, 'utf8').digest('base64url')}`;
}
