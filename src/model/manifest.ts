// Manifest text → documents. YAML (several documents separated by `---`) or JSON; a `List`
// (kubectl's, or Calico's `<Kind>List`) is unpacked into its items so `get -o yaml` output applies.

import { parseAllDocuments, type Document } from 'yaml';
import { TortieError } from '../lib/errors.js';

export interface SourcedDocument {
  /** Where the document came from, for messages: `pools.yaml`, `pools.yaml (document 2)`, `… item 3`. */
  readonly source: string;
  readonly doc: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unpack(source: string, doc: unknown, out: SourcedDocument[]): void {
  if (isObject(doc) && typeof doc['kind'] === 'string' && /List$/.test(doc['kind']) && Array.isArray(doc['items'])) {
    doc['items'].forEach((item, i) => unpack(`${source} item ${i + 1}`, item, out));
    return;
  }
  out.push({ source, doc });
}

/**
 * Nesting refused before yaml reads the text. yaml's parser recurses once per level (a 1 MB stack
 * holds some 780 levels of `[`), and near the stack's end it is worse than an error: V8 aborts the
 * whole process ("RegExpCompiler Allocation failed") when it compiles a regular expression there.
 * Real manifests nest a dozen levels.
 */
const MAX_DEPTH = 256;

/**
 * The line where `text` nests past MAX_DEPTH, over-estimated cheaply: open flow brackets anywhere
 * (quoted or not), and indentation plus `- ` runs at a line's start; null when it does not.
 */
function tooDeepAt(text: string): number | null {
  let flow = 0;
  let line = 1;
  let lineStart = true;
  let block = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) { line++; lineStart = true; block = 0; continue; }
    if (lineStart) {
      if (ch === 32 || ch === 45 || ch === 9) { if (++block > MAX_DEPTH) return line; continue; } // ' ', '-', tab
      lineStart = false;
    }
    if (ch === 91 || ch === 123) { if (++flow > MAX_DEPTH) return line; } // '[', '{'
    else if ((ch === 93 || ch === 125) && flow > 0) flow--; // ']', '}'
  }
  return null;
}

/** Alias expansions allowed per document: a manifest needs a few, a "billion laughs" bomb needs millions. */
const MAX_ALIAS_COUNT = 100;

/** Whether `v` contains itself: `spec: &s {a: *s}` makes a cycle no resource can hold (and JSON cannot show). */
function cyclic(v: unknown, open = new Set<object>()): boolean {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return false; // !!binary: bytes hold nothing
  if (open.has(v)) return true;
  open.add(v);
  const children = v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.values(v);
  const found = children.some((c) => cyclic(c, open));
  open.delete(v);
  return found;
}

/**
 * A document's value. yaml reports syntax errors in `errors` but throws for what it finds while
 * building the value: an alias without its anchor, too many alias expansions, a merge key (`<<`,
 * YAML 1.1) on something that is not a map; these are the manifest's faults, not Tortie's.
 */
function valueOf(d: Document.Parsed, name: string, where: string): unknown {
  let v: unknown;
  try {
    v = d.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    const why = /excessive alias count/i.test(msg)
      ? `its aliases expand to too much data (at most ${MAX_ALIAS_COUNT} alias expansions per document)`
      : msg;
    throw new TortieError('TORTIE_ERR_MANIFEST_PARSE', `${name} is not valid YAML or JSON${where}: ${why}`, { file: name });
  }
  if (cyclic(v)) {
    throw new TortieError('TORTIE_ERR_MANIFEST_PARSE', `${name} is not a valid manifest${where}: an alias is used inside its own anchor, which makes the document contain itself`, { file: name });
  }
  return v;
}

export function parseManifest(text: string, name: string): SourcedDocument[] {
  const deep = tooDeepAt(text);
  if (deep !== null) {
    throw new TortieError('TORTIE_ERR_MANIFEST_PARSE', `${name} nests too deeply at line ${deep}: at most ${MAX_DEPTH} levels of brackets, or ${MAX_DEPTH} columns of indentation, are read`, { file: name });
  }
  // logLevel 'error': yaml would print a Node warning of its own for a key that is a collection
  // (`? [a, b]`); the key is kept as text and validation reports it like any other unknown field.
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: SourcedDocument[] = [];
  const values: unknown[] = [];
  for (const [i, d] of list.entries()) {
    const err = d.errors[0];
    if (err) {
      const where = err.linePos?.[0] ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
      throw new TortieError('TORTIE_ERR_MANIFEST_PARSE', `${name} is not valid YAML or JSON${where}: ${err.message.split('\n')[0]}`, { file: name });
    }
    const v = valueOf(d, name, list.length > 1 ? ` (document ${i + 1})` : '');
    if (v !== null && v !== undefined) values.push(v);
  }
  values.forEach((v, i) => unpack(values.length > 1 ? `${name} (document ${i + 1})` : name, v, out));
  return out;
}
