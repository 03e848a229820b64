// What a reviewer could not see on a terminal, or could be misled by (docs/security.md, review
// invariant 7): control characters (C0, DEL, C1: they move the cursor, erase lines, recolor),
// format characters (bidirectional overrides and isolates, zero-width characters, the BOM, tags,
// soft hyphens), line and paragraph separators, lone surrogates, spaces other than U+0020
// (a no-break space inside `rm -rf /tmp/x` is another path), and the default-ignorable code
// points that are letters or marks by category (Hangul fillers, variation selectors, U+034F).
const HIDDEN =
  /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/gu

function marker(character: string): string {
  return `\\u{${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}}`
}

/**
 * Shows every invisible or control character of multi-line text as a `\u{XXXX}` marker, keeping
 * line feeds and tabs: what a reviewer reads is then exactly what will run.
 *
 * @example
 * escapeInvisible('rm -rf /tmp/\u202Egnp.x\n') // 'rm -rf /tmp/\\u{202E}gnp.x\n'
 */
export function escapeInvisible(text: string): string {
  return text.replace(HIDDEN, (character) => (character === '\n' || character === '\t' ? character : marker(character)))
}

/** Like {@link escapeInvisible}, but for one line (a table cell, a label): line feeds and tabs are escaped too. */
export function escapeInline(text: string): string {
  return text.replace(HIDDEN, marker)
}
