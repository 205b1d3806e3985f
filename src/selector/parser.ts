// Recursive descent over the tokens, with Calico's precedence (libcalico-go/lib/selector/parser):
//
//   selector := (nothing) | or            -- an empty or blank selector is all()
//   or       := and ("||" and)*
//   and      := unary ("&&" unary)*
//   unary    := "!"* term                  -- the "!"s collapse by parity
//   term     := has(label) | all() | global() | "(" or ")"
//             | label ("==" | "!=" | contains | starts with | ends with) string
//             | label (in | not in) "{" [string ("," string)* [","]] "}"
//
// As in Calico, a set may be empty (`a in {}`) and may end with a comma (`{"a",}`); a single
// operand is not wrapped (so `(a == "x")` is just the comparison); and `!(!x)` stays a double
// negation, because only `!`s written in a row are collapsed.

import { canonicalSet, type Selector } from './ast.js';
import { SelectorSyntaxError, showFound } from './errors.js';
import { Tokenizer, type Token, type TokenKind } from './tokenizer.js';

/**
 * Brackets nest at most this deep. A selector within the 1024-character limit cannot get near
 * it; the limit keeps a hostile, longer selector from exhausting the stack.
 */
export const MAX_NESTING = 512;

const TERM_START = 'expected a label, "has(", "all()", "global()", "!" or "("';

/** How messages name each operator, whatever spacing the user wrote it with. */
const OPERATOR_NAMES: Partial<Record<TokenKind, string>> = {
  eq: '==', ne: '!=', contains: 'contains', startsWith: 'starts with', endsWith: 'ends with',
  in: 'in', notIn: 'not in',
};

export function parseSelector(text: string): Selector {
  return new Parser(text).parse();
}

class Parser {
  private readonly tokens: Tokenizer;
  private depth = 0;

  constructor(private readonly text: string) {
    this.tokens = new Tokenizer(text);
  }

  parse(): Selector {
    if (this.tokens.peek().kind === 'eof') return { kind: 'all' };
    const sel = this.or();
    this.expect(this.tokens.next(), 'eof', 'expected "&&", "||" or the end of the selector');
    return sel;
  }

  private or(): Selector {
    const first = this.and();
    if (this.tokens.peek().kind !== 'or') return first;
    const rest: Selector[] = [];
    while (this.tokens.peek().kind === 'or') {
      this.tokens.next();
      rest.push(this.and());
    }
    return { kind: 'or', operands: [first, rest[0]!, ...rest.slice(1)] };
  }

  private and(): Selector {
    const first = this.unary();
    if (this.tokens.peek().kind !== 'and') return first;
    const rest: Selector[] = [];
    while (this.tokens.peek().kind === 'and') {
      this.tokens.next();
      rest.push(this.unary());
    }
    return { kind: 'and', operands: [first, rest[0]!, ...rest.slice(1)] };
  }

  private unary(): Selector {
    let negated = false;
    while (this.tokens.peek().kind === 'not') {
      this.tokens.next();
      negated = !negated;
    }
    const term = this.term();
    return negated ? { kind: 'not', operand: term } : term;
  }

  private term(): Selector {
    const t = this.tokens.next();
    switch (t.kind) {
      case 'has': return { kind: 'has', label: t.value };
      case 'all': return { kind: 'all' };
      case 'global': return { kind: 'global' };
      case 'label': return this.comparison(t.value);
      case 'lparen': {
        if (++this.depth > MAX_NESTING) {
          throw new SelectorSyntaxError(this.text, t.start, `expected brackets nested at most ${MAX_NESTING} deep, found a deeper "("`);
        }
        const inner = this.or();
        this.expect(this.tokens.next(), 'rparen', 'expected "&&", "||" or ")"');
        this.depth--;
        return inner;
      }
      default: return this.fail(t, TERM_START);
    }
  }

  private comparison(label: string): Selector {
    const op = this.tokens.next();
    switch (op.kind) {
      case 'eq': case 'ne': case 'contains': case 'startsWith': case 'endsWith': {
        const v = this.expect(this.tokens.next(), 'string', `expected a quoted string after "${OPERATOR_NAMES[op.kind]}"`);
        return { kind: op.kind, label, value: v.value };
      }
      case 'in': case 'notIn':
        this.expect(this.tokens.next(), 'lbrace', `expected "{" after "${OPERATOR_NAMES[op.kind]}"`);
        return { kind: op.kind, label, values: this.setBody() };
      default:
        return this.fail(op, `expected an operator after label ${showFound(label)} (==, !=, in, not in, contains, starts with or ends with)`);
    }
  }

  /** The rest of a set literal after its "{". */
  private setBody(): string[] {
    const values: string[] = [];
    for (;;) {
      const t = this.tokens.next();
      if (t.kind === 'rbrace') break;
      values.push(this.expect(t, 'string', 'expected a quoted string or "}"').value);
      const sep = this.tokens.next();
      if (sep.kind === 'rbrace') break;
      this.expect(sep, 'comma', 'expected "," or "}"');
    }
    return canonicalSet(values);
  }

  private expect(t: Token, kind: TokenKind, expected: string): Token {
    return t.kind === kind ? t : this.fail(t, expected);
  }

  private fail(t: Token, expected: string): never {
    throw new SelectorSyntaxError(this.text, t.start, `${expected}, found ${showFound(t.kind === 'eof' ? null : t.text)}`);
  }
}
