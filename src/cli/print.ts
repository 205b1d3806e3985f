// How resources leave the CLI: calicoctl-style tables (left-aligned, no borders), or YAML/JSON that
// `tortie apply -f` takes back unchanged.

import Table from 'cli-table3';
import { stringify } from 'yaml';
import { API_VERSION, type Resource } from '../model/index.js';

export function renderTable(head: readonly string[], rows: readonly string[][]): string {
  const none = { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '' };
  const t = new Table({ head: [...head], chars: none, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 3, compact: true } });
  for (const r of rows) t.push([...r]);
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

/** One object as itself; several (or a listing) as a `List` with `items`. */
export function documentOf(resources: readonly Resource[], single: boolean): unknown {
  if (single && resources.length === 1) return resources[0];
  return { apiVersion: API_VERSION, kind: 'List', items: resources };
}

export function renderDocument(doc: unknown, format: 'yaml' | 'json'): string {
  return format === 'json' ? JSON.stringify(doc, null, 2) : stringify(doc, { lineWidth: 0 }).trimEnd();
}
