import { escapeInline, escapeInvisible } from '../action/index.js'

/** Rows of a SQL result shown in the terminal; the rest is summarized (`show --json` has them all). */
const SHOWN_ROWS = 50
const CELL_WIDTH = 40

/**
 * The result of an executed action in a few lines: how it ended, and what it returned (SQL rows as
 * a table, a command's output, an HTTP response), escaped like everything else the CLI prints.
 */
export function renderResult(result: Readonly<Record<string, unknown>>): string[] {
  const lines: string[] = []
  const head = [`${String(result['status'] ?? 'unknown')}`]
  if (typeof result['duration_ms'] === 'number') head.push(`in ${result['duration_ms']} ms`)
  if (typeof result['exit_code'] === 'number') head.push(`exit code ${result['exit_code']}`)
  if (typeof result['signal'] === 'string') head.push(`killed by ${escapeInline(result['signal'])}`)
  if (typeof result['http_status'] === 'number') head.push(`HTTP ${result['http_status']}`)
  if (typeof result['row_count'] === 'number') head.push(`${result['row_count']} row(s)`)
  lines.push(`  result:   ${head.join(', ')}`)
  if (typeof result['error'] === 'string') lines.push(`  error:    ${escapeInline(result['error'])}`)
  if ('state_serial_after' in result) {
    const serial = (value: unknown) => (typeof value === 'number' ? String(value) : 'none')
    lines.push(`  state:    serial ${serial(result['state_serial_before'])} -> ${serial(result['state_serial_after'])}`)
  }
  if (Array.isArray(result['columns']) && Array.isArray(result['rows'])) lines.push(...table(result['columns'] as unknown[], result['rows'] as unknown[][]))
  for (const stream of ['stdout', 'stderr', 'body', 'output'] as const) {
    const text = result[stream]
    if (typeof text === 'string' && text !== '') lines.push(`  ${stream}:`, ...escapeInvisible(text.replace(/\n$/, '')).split('\n').map((line) => `    ${line}`))
  }
  if (result['truncated'] === true) lines.push('  (truncated at the connector\'s limit: the totals above say how much there was)')
  return lines
}

function table(columns: readonly unknown[], rows: readonly unknown[][]): string[] {
  const cell = (value: unknown) => {
    const text = escapeInline(value === null ? 'NULL' : typeof value === 'string' ? value : JSON.stringify(value))
    return text.length > CELL_WIDTH ? `${text.slice(0, CELL_WIDTH - 1)}…` : text
  }
  const shown = rows.slice(0, SHOWN_ROWS).map((row) => row.map(cell))
  const header = columns.map(cell)
  const widths = header.map((name, index) => Math.max(name.length, ...shown.map((row) => row[index]?.length ?? 0)))
  const line = (cells: readonly string[]) => `    ${cells.map((text, index) => text.padEnd(widths[index] ?? 0)).join('  ')}`.trimEnd()
  const out = [line(header), `    ${widths.map((width) => '-'.repeat(width)).join('  ')}`, ...shown.map(line)]
  if (rows.length > SHOWN_ROWS) out.push(`    … ${rows.length - SHOWN_ROWS} more row(s): show --json has them`)
  return out
}
