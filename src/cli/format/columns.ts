// Aligned text columns. Widths count what the terminal shows: colour escape
// codes take no room, and the marks we print (✓ ✗) are one column wide.

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function visibleWidth(s: string): number {
  return [...s.replace(ANSI, '')].length;
}

function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - visibleWidth(s)));
}

/**
 * Pads every column but the last to its widest cell, separated by `gap`
 * spaces. Rows may be shorter than others; trailing spaces are trimmed.
 */
export function alignColumns(rows: readonly (readonly string[])[], gap = 2): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell));
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i < row.length - 1 ? pad(cell, widths[i] ?? 0) : cell))
      .join(' '.repeat(gap))
      .trimEnd(),
  );
}
