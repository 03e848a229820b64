import { escapeInline, escapeInvisible } from '../action/index.js'

/** How much of a payload a chat message shows; the rest is one link away (chat platforms cap a block near 3,000 characters). */
export const PAYLOAD_SHOWN_CHARS = 2_800
/** How much of one other text (a reason, a highlight) a chat message shows. */
export const FIELD_SHOWN_CHARS = 500

/** A text as a message shows it: escaped, and when cut, saying how much is not shown. */
export interface ShownText {
  /** Escaped (invisible characters as `\u{XXXX}`); the start only when `cut`. */
  readonly text: string
  /** True when only the start is shown. */
  readonly cut: boolean
  /** Length of the whole escaped text, in UTF-16 units (what the start is measured in). */
  readonly total: number
}

/**
 * Multi-line text (a payload) as shown: every invisible character escaped, line feeds and tabs
 * kept, and past `limit` cut at a line end where one is near, never inside an escape marker or
 * a surrogate pair. A cut is explicit: the caller says how much is missing and links to all of it.
 */
export function shownBlock(text: string, limit = PAYLOAD_SHOWN_CHARS): ShownText {
  return cut(escapeInvisible(text), limit, true)
}

/** One-line text (a reason, a name) as shown: line feeds escaped too, so it cannot pose as other lines. */
export function shownLine(text: string, limit = FIELD_SHOWN_CHARS): ShownText {
  return cut(escapeInline(text), limit, false)
}

/** {@link shownLine} as one string, the cut said in the text: `start… (+N characters)`. */
export function lineText(text: string, limit = FIELD_SHOWN_CHARS): string {
  const shown = shownLine(text, limit)
  return shown.cut ? `${shown.text}… (+${shown.total - shown.text.length} characters)` : shown.text
}

function cut(escaped: string, limit: number, atLineEnd: boolean): ShownText {
  if (escaped.length <= limit) return { text: escaped, cut: false, total: escaped.length }
  let end = limit
  if (atLineEnd) {
    const newline = escaped.lastIndexOf('\n', limit)
    if (newline > limit * 0.75) end = newline
  }
  // An escape marker is at most `\u{10FFFF}`: never show half of one.
  const marker = escaped.lastIndexOf('\\u{', end)
  if (marker >= 0 && marker > end - 10 && escaped.indexOf('}', marker) >= end) end = marker
  const code = escaped.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end -= 1
  return { text: escaped.slice(0, end), cut: true, total: escaped.length }
}
