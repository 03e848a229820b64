import { ageText } from './action-render.js'
import type { ActionView } from './api-types.js'
import { escapeInline } from '../action/index.js'

const HEADER = ['ID', 'AGE', 'STATUS', 'AGENT', 'TARGET', 'KIND', 'SUMMARY'] as const
// Widest an agent, target or kind cell grows before it is cut; ids are never cut (they are copied into `show`).
const CAPS = [Infinity, 4, 9, 20, 24, 10, Infinity] as const
const GAP = '  '
const MIN_SUMMARY = 12

/** The cells of one action's row, escaped: what `list` and `watch` show. */
function cells(action: ActionView, now: Date): string[] {
  return [
    action.id,
    ageText(action.created_at, now),
    action.status,
    escapeInline(action.agent ?? action.submitted_by),
    escapeInline(action.target),
    escapeInline(action.kind),
    escapeInline(action.impact.summary),
  ]
}

/**
 * Actions as a table, newest first as given: id, age, status, agent, target, kind and the impact
 * summary. With a `width` (a terminal's columns), long cells are cut with `…` so rows stay on one
 * line; the summary gives way first.
 */
export function renderActionTable(actions: readonly ActionView[], now: Date, width?: number): string {
  if (actions.length === 0) return '(no actions)\n'
  const rows = actions.map((action) => cells(action, now))
  const widths = HEADER.map((title, column) => Math.min(CAPS[column] ?? Infinity, Math.max(title.length, ...rows.map((row) => length(row[column] ?? '')))))
  const last = HEADER.length - 1
  if (width !== undefined) {
    const fixed = widths.slice(0, last).reduce((sum, w) => sum + w + GAP.length, 0)
    widths[last] = Math.max(MIN_SUMMARY, Math.min(widths[last] ?? 0, width - fixed))
  }
  const line = (row: readonly string[]) => {
    const text = row.map((cell, column) => (column === last ? cut(cell, widths[column] ?? 0) : pad(cut(cell, widths[column] ?? 0), widths[column] ?? 0))).join(GAP)
    return width === undefined ? text.trimEnd() : cut(text.trimEnd(), width)
  }
  return `${[line(HEADER), ...rows.map(line)].join('\n')}\n`
}

/** One line for a feed (`watch` outside a terminal): time, id, status, agent, target, kind, summary. */
export function renderFeedLine(action: ActionView, now: Date): string {
  const [id, , status, agent, target, kind, summary] = cells(action, now)
  return `${now.toISOString()}  ${id}  ${status}  ${agent}  ${target}  ${kind}  ${summary}\n`
}

function length(text: string): number {
  return [...text].length
}

function cut(text: string, width: number): string {
  const characters = [...text]
  if (characters.length <= width) return text
  return width <= 1 ? '…'.slice(0, width) : `${characters.slice(0, width - 1).join('')}…`
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - length(text)))
}
