/** The words of a command line, or why it is not one plain command. */
export type SplitResult = { readonly words: readonly string[] } | { readonly error: string }

/** Unquoted characters that make the line more than one plain command, and what they are. */
const OPERATORS: Readonly<Record<string, string>> = {
  '|': 'pipes',
  '&': 'background jobs or && lists',
  ';': 'command lists (;)',
  '<': 'redirections',
  '>': 'redirections',
  '(': 'subshells',
  ')': 'subshells',
  '`': 'command substitution',
}

/**
 * Splits one command line into words with the shell's quoting rules (single quotes, double
 * quotes, backslashes, line continuations). Anything whose words the shell would compute or that
 * runs more than one command — substitutions, variables, pipes, lists, redirections, brace
 * expansion, comments, several lines — is refused: the analysis must see exactly the words
 * kubectl would receive.
 *
 * @example splitWords(`kubectl exec web -- sh -c 'cat /etc/passwd'`) // { words: ['kubectl', 'exec', 'web', '--', 'sh', '-c', 'cat /etc/passwd'] }
 */
export function splitWords(line: string): SplitResult {
  const words: string[] = []
  let word = ''
  // The unquoted characters of the word, quoted ones blanked, to spot brace expansion.
  let plain = ''
  let inWord = false
  const end = (): string | null => {
    if (!inWord) return null
    if (/\{[^{}]*(,|\.\.)[^{}]*\}/.test(plain)) return 'brace expansion is not supported'
    words.push(word)
    word = ''
    plain = ''
    inWord = false
    return null
  }
  const text = line.trim()
  let i = 0
  while (i < text.length) {
    const ch = text[i] as string
    if (ch === '\0') return { error: 'NUL character in the command' }
    if (ch === ' ' || ch === '\t') {
      const error = end()
      if (error !== null) return { error }
      i++
      continue
    }
    if (ch === '\n' || ch === '\r') return { error: 'several lines (one kubectl invocation only)' }
    const operator = OPERATORS[ch]
    if (operator !== undefined) return { error: `${operator} are not supported (one kubectl invocation only)` }
    if (ch === '#' && !inWord) return { error: 'comments are not supported' }
    if (ch === '\\') {
      const next = text[i + 1]
      if (next === undefined) return { error: 'the line ends with a backslash' }
      // A backslash-newline joins lines (and is no word); anything else escaped is itself.
      if (next !== '\n') {
        word += next
        plain += '_'
        inWord = true
      }
      i += 2
      continue
    }
    inWord = true
    if (ch === "'") {
      const close = text.indexOf("'", i + 1)
      if (close === -1) return { error: 'unterminated single quote' }
      word += text.slice(i + 1, close)
      plain += '_'
      i = close + 1
      continue
    }
    if (ch === '"') {
      const read = readDoubleQuoted(text, i + 1)
      if ('error' in read) return read
      word += read.value
      plain += '_'
      i = read.next
      continue
    }
    if (ch === '$') {
      const next = text[i + 1]
      if (next !== undefined && /[A-Za-z0-9_{(@*#?$!'"-]/.test(next)) return { error: 'shell expansions ($…) are not supported' }
    }
    word += ch
    plain += ch
    i++
  }
  const error = end()
  if (error !== null) return { error }
  return { words }
}

function readDoubleQuoted(text: string, start: number): { value: string; next: number } | { error: string } {
  let value = ''
  let i = start
  while (i < text.length) {
    const ch = text[i] as string
    if (ch === '"') return { value, next: i + 1 }
    if (ch === '`') return { error: 'command substitution is not supported' }
    if (ch === '$') {
      const next = text[i + 1]
      if (next !== undefined && /[A-Za-z0-9_{(@*#?$!-]/.test(next)) return { error: 'shell expansions ($…) are not supported' }
    }
    if (ch === '\\') {
      const next = text[i + 1]
      if (next !== undefined && '$`"\\\n'.includes(next)) {
        if (next !== '\n') value += next
        i += 2
        continue
      }
    }
    if (ch === '\0') return { error: 'NUL character in the command' }
    value += ch
    i++
  }
  return { error: 'unterminated double quote' }
}
