import type { ReactNode } from 'react'
import { escapeInline, escapeInvisible } from '../../../src/action/escape-invisible.js'

/**
 * Text exactly as it will run, with every invisible or control character (bidirectional
 * overrides, zero-width characters, other spaces, C0/C1 controls…) shown as a marked `\u{XXXX}`
 * (docs/security.md, the review invariants). Which characters count is the gateway's own escapeInvisible, so
 * the console, the CLI and the chat channels agree. A marker is styled apart from text, so a
 * payload that spells out `\u{202E}` cannot pass for one.
 */
export function Visible({ text, multiline = false }: { text: string; multiline?: boolean }): ReactNode {
  if ((multiline ? escapeInvisible(text) : escapeInline(text)) === text) return text
  const parts: ReactNode[] = []
  let plain = ''
  for (const character of text) {
    const kept = multiline && (character === '\n' || character === '\t')
    const escaped = kept ? character : escapeInline(character)
    if (escaped === character) {
      plain += character
      continue
    }
    if (plain) parts.push(plain)
    plain = ''
    parts.push(
      <span key={parts.length} className="hidden-char" title={`invisible character U+${escaped.slice(3, -1)}: it is part of the text`}>
        {escaped}
      </span>,
    )
    // A line break is kept after its marker, so the lines read as they will run.
    if (character === '\n' || character === '\r' || character === '\u2028' || character === '\u2029') parts.push('\n')
  }
  if (plain) parts.push(plain)
  return parts
}

/** Whether text has any character that {@link Visible} would mark. */
export function hasHidden(text: string): boolean {
  return escapeInvisible(text) !== text
}
