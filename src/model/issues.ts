// A validation problem: where (a field path such as `spec.ingress[0].ports[1]`) and what, in plain
// words. zod's issues are translated here so that every message reads the same way.

import type { z } from 'zod';

export interface Issue {
  /** Dotted path with [index] for arrays; `metadata.name`, `spec.cidr`; '' for the whole document. */
  readonly path: string;
  readonly message: string;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

export function formatIssue(i: Issue): string {
  return i.path === '' ? i.message : `${i.path}: ${i.message}`;
}

/** Shows a user's value in a message: strings quoted, long values cut. */
export function show(v: unknown): string {
  let s: string;
  try { s = JSON.stringify(v) ?? String(v); } catch { s = String(v); }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string': return `the string ${show(v)}`;
    case 'number': return Number.isInteger(v) ? `the number ${v}` : `the number ${v}`;
    case 'boolean': return `${v}`;
    case 'object': return 'an object';
    default: return typeof v;
  }
}

const EXPECTED: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false',
  object: 'an object', array: 'a list', record: 'an object (map)', bigint: 'an integer',
};

export function fromZod(issues: ReadonlyArray<z.core.$ZodIssue>, prefix: ReadonlyArray<PropertyKey> = []): Issue[] {
  const out: Issue[] = [];
  for (const i of issues) {
    const path = [...prefix, ...i.path];
    const input = (i as { input?: unknown }).input;
    // A missing field fails an enum or a union as `undefined`: say that it is required, not "undefined is not one of".
    if (input === undefined && (i.code === 'invalid_value' || i.code === 'invalid_union' || i.code === 'invalid_format')) {
      out.push({ path: formatPath(path), message: 'is required' });
      continue;
    }
    switch (i.code) {
      case 'invalid_type':
        out.push({
          path: formatPath(path),
          message: input === undefined ? 'is required' : `expected ${EXPECTED[i.expected] ?? i.expected}, got ${kindOf(input)}`,
        });
        break;
      case 'unrecognized_keys':
        for (const k of i.keys) out.push({ path: formatPath([...path, k]), message: 'unknown field' });
        break;
      case 'invalid_value':
        out.push({ path: formatPath(path), message: `${show(input)} is not one of: ${i.values.filter((v) => v !== '').map(String).join(', ')}` });
        break;
      case 'too_small':
      case 'too_big': {
        const word = i.code === 'too_small' ? (i.inclusive === false ? 'more than' : 'at least') : (i.inclusive === false ? 'less than' : 'at most');
        const unit = i.origin === 'string' ? ' characters' : i.origin === 'array' ? ' items' : '';
        const what = i.origin === 'number' || i.origin === 'int' || i.origin === 'bigint'
          ? `${show(input)} must be ${word === 'at least' ? '>=' : word === 'at most' ? '<=' : word} ${String(i.code === 'too_small' ? i.minimum : i.maximum)}`
          : `must have ${word} ${String(i.code === 'too_small' ? i.minimum : i.maximum)}${unit}`;
        out.push({ path: formatPath(path), message: what });
        break;
      }
      case 'invalid_union':
        out.push({ path: formatPath(path), message: i.message.startsWith('Invalid input') ? `${show(input)} is not valid here` : i.message });
        break;
      case 'invalid_format':
        out.push({ path: formatPath(path), message: `${show(input)} is not a valid ${i.format}` });
        break;
      default:
        out.push({ path: formatPath(path), message: i.message });
    }
  }
  return out;
}
