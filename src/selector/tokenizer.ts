// Splits selector text into tokens, one at a time as the parser asks for them, so that the first
// error reported is the leftmost one.
//
// The lexical rules are Calico's (libcalico-go/lib/selector/tokenizer/tokenizer.go):
// - whitespace is spaces and tabs only; a newline is an unexpected character;
// - label characters are [A-Za-z0-9_./-], and a label is at most 512 of them;
// - strings are quoted with " or ' and have no escapes: they end at the next matching quote;
// - the word operators (contains, starts with, ends with, not in, in) are recognised only right
//   after a label and only when a non-label character or the end follows. "starts with",
//   "ends with" and "not in" may be written with no space ("startswith", "notin");
// - `has(`, `all(` and `global(` must be written with no space before the bracket, but may have
//   spaces inside it: `has( a )` is fine, `has (a)` is a label "has" followed by a bracket;
// - `&&`, `||`, `==`, `!=` need no surrounding spaces, and a `!` not followed by `=` is a "not".

import { SelectorSyntaxError, showFound } from './errors.js';

export const MAX_LABEL_LENGTH = 512;

export type TokenKind =
  | 'label' | 'string' | 'has' | 'all' | 'global'
  | 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith' | 'in' | 'notIn'
  | 'not' | 'and' | 'or' | 'lparen' | 'rparen' | 'lbrace' | 'rbrace' | 'comma'
  | 'eof'
  /** Text that is no token at all (`%`, a lone `=`) or no operator after a label; the parser says what it expected instead. */
  | 'bad';

export interface Token {
  readonly kind: TokenKind;
  /** A label's name, a string's contents (without quotes) or has()'s label; '' otherwise. */
  readonly value: string;
  /** Offset of the token's first character in the selector text. */
  readonly start: number;
  /** The token's source text, for messages; '' at the end. */
  readonly text: string;
}

const PUNCTUATION: Readonly<Record<string, TokenKind>> = {
  '(': 'lparen', ')': 'rparen', '{': 'lbrace', '}': 'rbrace', ',': 'comma',
};

const PAIRS: Readonly<Record<string, TokenKind>> = { '==': 'eq', '!=': 'ne', '&&': 'and', '||': 'or' };

/** Tried in this order, as Calico does; each entry's words may be separated by whitespace. */
const WORD_OPERATORS: ReadonlyArray<readonly [TokenKind, readonly string[]]> = [
  ['contains', ['contains']],
  ['startsWith', ['starts', 'with']],
  ['endsWith', ['ends', 'with']],
  ['notIn', ['not', 'in']],
  ['in', ['in']],
];

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';

export function isLabelChar(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z0-9_./-]$/.test(c);
}

export class Tokenizer {
  private pos = 0;
  private lastKind: TokenKind | null = null;
  private peeked: Token | null = null;

  constructor(readonly text: string) {}

  peek(): Token {
    this.peeked ??= this.read();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = null;
    return t;
  }

  private read(): Token {
    const t = this.scan();
    this.lastKind = t.kind;
    return t;
  }

  private scan(): Token {
    const text = this.text;
    this.pos = this.skipSpace(this.pos);
    const start = this.pos;
    if (start >= text.length) return { kind: 'eof', value: '', start, text: '' };
    const c = text[start]!;

    const punct = PUNCTUATION[c];
    if (punct !== undefined) return this.take(punct, start + 1);
    if (c === '"' || c === "'") return this.string(c);
    const pair = PAIRS[text.slice(start, start + 2)];
    if (pair !== undefined) return this.take(pair, start + 2);
    if (c === '!') return this.take('not', start + 1);
    if (c === '=' || c === '&' || c === '|') return this.take('bad', start + 1);

    // Only a label can be followed by an operator word, and after a label nothing but an
    // operator may come; so a label named "in" or "contains" is fine anywhere a label is.
    if (this.lastKind === 'label') return this.operator();
    if (text.startsWith('has(', start)) return this.has();
    if (text.startsWith('all(', start)) return this.emptyCall('all', 'all(');
    if (text.startsWith('global(', start)) return this.emptyCall('global', 'global(');
    if (isLabelChar(c)) {
      const label = this.labelAt(start);
      return this.take('label', start + label.length, label);
    }
    return this.take('bad', start + this.charAt(start).length);
  }

  private take(kind: TokenKind, end: number, value = ''): Token {
    const start = this.pos;
    this.pos = end;
    return { kind, value, start, text: this.text.slice(start, end) };
  }

  private skipSpace(p: number): number {
    while (isSpace(this.text[p])) p++;
    return p;
  }

  /** The run of label characters at `p` ('' if none). */
  private wordAt(p: number): string {
    let end = p;
    while (isLabelChar(this.text[end])) end++;
    return this.text.slice(p, end);
  }

  /** What a message should call the text at `p`: a word, one character, or the end. */
  private foundAt(p: number): string {
    if (p >= this.text.length) return showFound(null);
    const c = this.text[p]!;
    const close = c === '"' || c === "'" ? this.text.indexOf(c, p + 1) : -1;
    if (close >= 0) return showFound(this.text.slice(p, close + 1)); // a whole string literal
    const word = this.wordAt(p);
    return showFound(word !== '' ? word : this.charAt(p));
  }

  /** The character (code point) at `p`. */
  private charAt(p: number): string {
    return String.fromCodePoint(this.text.codePointAt(p)!);
  }

  private fail(p: number, detail: string): never {
    throw new SelectorSyntaxError(this.text, p, detail);
  }

  /** A label at `p`, checked against Calico's length limit. */
  private labelAt(p: number): string {
    const label = this.wordAt(p);
    if (label.length > MAX_LABEL_LENGTH) {
      this.fail(p, `expected a label of at most ${MAX_LABEL_LENGTH} characters, found one of ${label.length} (${showFound(label)})`);
    }
    return label;
  }

  private string(quote: string): Token {
    const start = this.pos;
    const end = this.text.indexOf(quote, start + 1);
    if (end < 0) this.fail(start, `expected a closing ${quote} to end the string that starts here, found the end of the selector`);
    return this.take('string', end + 1, this.text.slice(start + 1, end));
  }

  private operator(): Token {
    const start = this.pos;
    for (const [kind, words] of WORD_OPERATORS) {
      const end = this.matchWords(start, words);
      if (end !== null) return this.take(kind, end);
    }
    // "starts" / "ends" / "not" alone deserve a pointed message about the missing second word.
    const word = this.wordAt(start);
    const second = word === 'starts' || word === 'ends' ? 'with' : word === 'not' ? 'in' : null;
    if (second !== null) {
      const after = this.skipSpace(start + word.length);
      this.fail(after, `expected "${second}" after "${word}", found ${this.foundAt(after)}`);
    }
    return this.take('bad', start + (word !== '' ? word : this.charAt(start)).length);
  }

  /** The end of `words` at `p` (whitespace allowed between them, a word boundary after the last), or null. */
  private matchWords(p: number, words: readonly string[]): number | null {
    for (let i = 0; i < words.length; i++) {
      if (i > 0) p = this.skipSpace(p);
      if (!this.text.startsWith(words[i]!, p)) return null;
      p += words[i]!.length;
    }
    return isLabelChar(this.text[p]) ? null : p;
  }

  private has(): Token {
    const start = this.pos;
    let p = this.skipSpace(start + 'has('.length);
    const label = this.labelAt(p);
    if (label === '') this.fail(p, `expected a label after "has(", found ${this.foundAt(p)}`);
    p = this.skipSpace(p + label.length);
    if (this.text[p] !== ')') this.fail(p, `expected ")" to close "has(${label}", found ${this.foundAt(p)}`);
    return this.take('has', p + 1, label);
  }

  private emptyCall(kind: 'all' | 'global', opening: string): Token {
    const p = this.skipSpace(this.pos + opening.length);
    if (this.text[p] !== ')') this.fail(p, `expected ")" after "${opening}", found ${this.foundAt(p)}`);
    return this.take(kind, p + 1);
  }
}
