/**
 * Aligned columns for listings on a terminal (scripts use `--json`). Cells are single-line;
 * the last column is not padded.
 *
 * @example table([["NAME", "URL"], ["local", "http://127.0.0.1:5000"]])
 */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n");
}
