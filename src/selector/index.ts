// The Calico selector language: parse, validate, evaluate, print canonically, identify.
//
//   text ──parseSelector──▶ Selector (AST) ──matches(labels)──▶ boolean
//                                 │
//                                 └──printSelector──▶ canonical text ──selectorId──▶ "s:…"
//
// Pure code: no I/O, no clock.

import { SelectorSyntaxError } from './errors.js';
import { parseSelector } from './parser.js';

export type {
  Selector, AllSelector, GlobalSelector, HasSelector, ValueSelector, SetSelector, NotSelector, BoolSelector,
} from './ast.js';
export { SelectorSyntaxError } from './errors.js';
export { parseSelector, MAX_NESTING } from './parser.js';
export { MAX_LABEL_LENGTH } from './tokenizer.js';
export { printSelector } from './print.js';
export { matches, NAMESPACE_LABEL, type Labels } from './evaluate.js';
export { selectorId } from './id.js';

/** The longest selector a resource field may hold (Calico's API limit). */
export const MAX_SELECTOR_LENGTH = 1024;

/**
 * null when `text` is a valid selector for a resource field, else what is wrong, starting
 * "column N: …". Unlike parseSelector it also enforces the 1024-character field limit:
 * parseSelector accepts longer text because Tortie builds longer selectors itself (a
 * NetworkPolicy's selector gets `&& projectcalico.org/namespace == '<ns>'` added), and Calico's
 * parser has no such limit either.
 */
export function checkSelector(text: string): string | null {
  if (text.length > MAX_SELECTOR_LENGTH) {
    return new SelectorSyntaxError(text, MAX_SELECTOR_LENGTH,
      `expected a selector of at most ${MAX_SELECTOR_LENGTH} characters, found ${text.length}`).message;
  }
  try {
    parseSelector(text);
    return null;
  } catch (e) {
    if (e instanceof SelectorSyntaxError) return e.message;
    throw e;
  }
}
