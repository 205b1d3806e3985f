// The one error the selector language throws. It carries the 1-based column of the offending text
// so that `tortie` can point at it, and its message reads "column N: expected …, found …".

export class SelectorSyntaxError extends Error {
  override readonly name = 'SelectorSyntaxError';
  /** 1-based, counted in characters (code points) of the selector text. */
  readonly column: number;
  /** The selector text as given. */
  readonly selector: string;

  constructor(selector: string, offset: number, detail: string) {
    const column = columnAt(selector, offset);
    super(`column ${column}: ${detail}`);
    this.column = column;
    this.selector = selector;
  }
}

function columnAt(text: string, offset: number): number {
  // Spread counts code points, so an emoji inside a quoted value moves the column by one.
  return [...text.slice(0, offset)].length + 1;
}

/** How a message shows the text it found: quoted, control characters escaped, long text cut. */
export function showFound(found: string | null): string {
  if (found === null) return 'the end of the selector';
  const cut = found.length > 24 ? `${found.slice(0, 21)}...` : found;
  // JSON.stringify escapes newlines and the like; a text holding `"` reads better in single quotes.
  if (cut.includes('"') && !cut.includes("'") && !/[\u0000-\u001f]/.test(cut)) return `'${cut}'`;
  return JSON.stringify(cut);
}
