/**
 * Everything the CLI prints. Results go to stdout (human text, or JSON with --json); notes and
 * errors go to stderr, so `$(trove …)` captures only the result.
 */

export function out (text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

export function note (text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`)
}

/** Machine-readable output: the API's own field names, one JSON document. */
export function printJson (value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** A plain table with upper-case headings, columns padded to the widest cell. */
export function printTable (headings: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headings.map((heading, i) => Math.max(heading.length, ...rows.map(row => (row[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()
  out([line(headings.map(h => h.toUpperCase())), ...rows.map(line)].join('\n'))
}

/** A timestamp for a table: UTC to the second, `-` when there is none. */
export function when (iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '-'
  const at = new Date(iso)
  return Number.isNaN(at.getTime()) ? iso : at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

export function plural (count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}
