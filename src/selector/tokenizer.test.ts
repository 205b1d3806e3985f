import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SelectorSyntaxError } from './errors.js';
import { Tokenizer, type TokenKind } from './tokenizer.js';

/** All tokens up to and including eof, as "kind" or "kind:value". */
function tokens(text: string): string[] {
  const t = new Tokenizer(text);
  const out: string[] = [];
  for (;;) {
    const tok = t.next();
    out.push(tok.value === '' ? tok.kind : `${tok.kind}:${tok.value}`);
    if (tok.kind === 'eof') return out;
  }
}

const K = (...ks: Array<TokenKind | `${TokenKind}:${string}`>): string[] => ks;

// The cases of Calico's tokenizer_test.go that tokenize without error.
test('tokenizes as Calico does', () => {
  const cases: Array<[string, string[]]> = [
    ['a=="b"', K('label:a', 'eq', 'string:b', 'eof')],
    ['label == "value"', K('label:label', 'eq', 'string:value', 'eof')],
    ['label contains "value"', K('label:label', 'contains', 'string:value', 'eof')],
    ['contains contains "contains"', K('label:contains', 'contains', 'string:contains', 'eof')],
    ["contains contains 'contains'", K('label:contains', 'contains', 'string:contains', 'eof')],
    ['label contains"value"', K('label:label', 'contains', 'string:value', 'eof')],
    ['label startswith "value"', K('label:label', 'startsWith', 'string:value', 'eof')],
    ['label endswith "value"', K('label:label', 'endsWith', 'string:value', 'eof')],
    ['label starts with "value"', K('label:label', 'startsWith', 'string:value', 'eof')],
    ['startswith starts with "value"', K('label:startswith', 'startsWith', 'string:value', 'eof')],
    ['endswith ends with "value"', K('label:endswith', 'endsWith', 'string:value', 'eof')],
    ['label starts  with "value"', K('label:label', 'startsWith', 'string:value', 'eof')],
    ['label ends \twith "value"', K('label:label', 'endsWith', 'string:value', 'eof')],
    ['a not in "bar" && !has(foo) || b in c',
      K('label:a', 'notIn', 'string:bar', 'and', 'not', 'has:foo', 'or', 'label:b', 'in', 'label:c', 'eof')],
    ['has(calico/k8s_NS-.1/role)', K('has:calico/k8s_NS-.1/role', 'eof')],
    ['calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"',
      K('label:calico/k8s_ns', 'eq', 'string:kube-system', 'and', 'label:k8s-app', 'eq', 'string:kube-dns', 'eof')],
    ['a  not  in  "bar"  &&  ! has( foo )  ||  b  in  c ',
      K('label:a', 'notIn', 'string:bar', 'and', 'not', 'has:foo', 'or', 'label:b', 'in', 'label:c', 'eof')],
    ['a notin"bar"&&!has(foo)||b in"c"',
      K('label:a', 'notIn', 'string:bar', 'and', 'not', 'has:foo', 'or', 'label:b', 'in', 'string:c', 'eof')],
    ['a not in {}', K('label:a', 'notIn', 'lbrace', 'rbrace', 'eof')],
    ['a not in {"a","B"}', K('label:a', 'notIn', 'lbrace', 'string:a', 'comma', 'string:B', 'rbrace', 'eof')],
    ['global()', K('global', 'eof')],
    ['all( )', K('all', 'eof')],
  ];
  for (const [text, want] of cases) assert.deepEqual(tokens(text), want, text);
});

test('"!=" wins over "!", and "!" alone is a not', () => {
  assert.deepEqual(tokens('a!="b"'), K('label:a', 'ne', 'string:b', 'eof'));
  assert.deepEqual(tokens('!!has(a)'), K('not', 'not', 'has:a', 'eof'));
});

test('operator words need a word boundary after them', () => {
  assert.deepEqual(tokens('a inx'), K('label:a', 'bad', 'eof'));
  assert.deepEqual(tokens('a in.b'), K('label:a', 'bad', 'eof'));
  assert.deepEqual(tokens('a contains-"x"'), K('label:a', 'bad', 'string:x', 'eof'));
  assert.deepEqual(tokens('a in{'), K('label:a', 'in', 'lbrace', 'eof'));
  assert.deepEqual(tokens('a in'), K('label:a', 'in', 'eof')); // the end is a boundary
});

test('words that are operators only after a label are labels elsewhere', () => {
  assert.deepEqual(tokens('in in {}'), K('label:in', 'in', 'lbrace', 'rbrace', 'eof'));
  assert.deepEqual(tokens('not == "x"'), K('label:not', 'eq', 'string:x', 'eof'));
  assert.deepEqual(tokens('hasx == "y"'), K('label:hasx', 'eq', 'string:y', 'eof'));
  // has( must touch its bracket; with a space it is a label followed by a group.
  assert.deepEqual(tokens('has (a)'), K('label:has', 'lparen', 'label:a', 'rparen', 'eof'));
});

test('strings have no escapes and end at the next matching quote', () => {
  assert.deepEqual(tokens(`a == "it's"`), K('label:a', 'eq', "string:it's", 'eof'));
  assert.deepEqual(tokens(`a == 'say "hi"'`), K('label:a', 'eq', 'string:say "hi"', 'eof'));
  assert.deepEqual(tokens(String.raw`a == "x\"`), K('label:a', 'eq', 'string:x\\', 'eof'));
  assert.deepEqual(tokens('a == ""'), K('label:a', 'eq', 'string', 'eof'));
});

test('only spaces and tabs are whitespace', () => {
  assert.deepEqual(tokens(' \t all() \t'), K('all', 'eof'));
  assert.equal(tokens('all()\n')[1], 'bad');
});

test('lexical errors carry the column of their cause', () => {
  const cases: Array<[string, number]> = [
    ['a == "b', 6],            // unterminated string: column of its opening quote
    ["'FOO", 1],
    ['has()', 5],              // no label in has()
    ['has(a b)', 7],           // no ")" after has(a
    ['all(x)', 5],
    ['global( x', 9],
    ['a starts foo', 10],      // "starts" without "with"
    ['a not is {}', 7],
    [`${'x'.repeat(513)} == "a"`, 1],
    [`has(${'x'.repeat(600)})`, 5],
  ];
  for (const [text, column] of cases) {
    assert.throws(() => tokens(text), (e: unknown) => e instanceof SelectorSyntaxError && e.column === column, text);
  }
});

test('a label of exactly 512 characters is allowed', () => {
  assert.deepEqual(tokens(`has(${'x'.repeat(512)})`), [`has:${'x'.repeat(512)}`, 'eof']);
});
