/** What a sed script does besides editing its stream. */
export interface SedScript {
  /** Commands it runs with `e COMMAND`. */
  readonly commands: readonly string[]
  /** It runs text from its input as a command: `e` alone, or the `e` flag of `s///e`. */
  readonly runsInput: boolean
  /** Files it writes (`w FILE`, `W FILE`, the `w` flag of `s`). */
  readonly writes: readonly string[]
  /** It could not be read to the end; treat it as able to do anything. */
  readonly unreadable: boolean
}

/** Commands that take no argument. */
const SIMPLE = new Set([...'=dDgGhHnNpPxzFlLqQv'])

/**
 * Reads a GNU sed script far enough to find `e` (run a command), `s///e` (run the pattern
 * space), `w`/`W` and `s///w` (write a file). Addresses, regexes, labels and text arguments are
 * skipped as sed reads them.
 *
 * @example readSedScript('1e touch x').commands // ['touch x']
 */
export function readSedScript(script: string): SedScript {
  const commands: string[] = []
  const writes: string[] = []
  let runsInput = false
  let i = 0
  const n = script.length
  const restOfLine = (): string => {
    let end = script.indexOf('\n', i)
    if (end === -1) end = n
    const text = script.slice(i, end)
    i = end
    return text
  }
  const delimited = (delimiter: string): boolean => {
    // Reads up to the unescaped delimiter; false when there is none.
    while (i < n) {
      const ch = script[i] as string
      if (ch === '\\') i += 2
      else if (ch === delimiter) {
        i++
        return true
      } else i++
    }
    return false
  }
  const address = (): boolean => {
    const ch = script[i]
    if (ch === undefined) return true
    if (/[0-9]/.test(ch)) {
      while (i < n && /[0-9~]/.test(script[i] as string)) i++
    } else if (ch === '$') i++
    else if (ch === '/') {
      i++
      if (!delimited('/')) return false
      while (i < n && /[IM]/.test(script[i] as string)) i++
    } else if (ch === '\\') {
      const delimiter = script[i + 1]
      if (delimiter === undefined) return false
      i += 2
      if (!delimited(delimiter)) return false
    } else if (ch === '+' || ch === '~') {
      i++
      while (i < n && /[0-9]/.test(script[i] as string)) i++
    }
    return true
  }
  while (i < n) {
    while (i < n && /[\s;]/.test(script[i] as string)) i++
    if (i >= n) break
    if (!address()) return { commands, runsInput, writes, unreadable: true }
    while (i < n && script[i] === ' ') i++
    if (script[i] === ',') {
      i++
      while (i < n && script[i] === ' ') i++
      if (!address()) return { commands, runsInput, writes, unreadable: true }
    }
    while (i < n && /[\s!]/.test(script[i] as string)) i++
    const command = script[i]
    if (command === undefined) break
    i++
    if (command === '{' || command === '}') continue
    if (command === '#' || command === ':' || command === 'a' || command === 'i' || command === 'c' || command === 'r' || command === 'R') {
      // Text and file arguments run to the end of the line (continued by a trailing backslash).
      let text = restOfLine()
      while (text.endsWith('\\') && i < n) {
        i++
        text = restOfLine()
      }
      continue
    }
    if (command === 'w' || command === 'W') {
      writes.push(restOfLine().trim())
      continue
    }
    if (command === 'e') {
      const text = restOfLine().trim()
      if (text === '') runsInput = true
      else commands.push(text)
      continue
    }
    if (command === 'b' || command === 't' || command === 'T') {
      while (i < n && !/[;\n]/.test(script[i] as string)) i++
      continue
    }
    if (command === 's' || command === 'y') {
      const delimiter = script[i]
      if (delimiter === undefined || delimiter === '\n' || delimiter === '\\') return { commands, runsInput, writes, unreadable: true }
      i++
      if (!delimited(delimiter) || !delimited(delimiter)) return { commands, runsInput, writes, unreadable: true }
      if (command === 'y') continue
      while (i < n && /[0-9gpiImMe]/.test(script[i] as string)) {
        if (script[i] === 'e') runsInput = true
        i++
      }
      if (script[i] === 'w') {
        i++
        writes.push(restOfLine().trim())
      }
      continue
    }
    if (SIMPLE.has(command)) {
      while (i < n && /[0-9 ]/.test(script[i] as string)) i++
      continue
    }
    return { commands, runsInput, writes, unreadable: true }
  }
  return { commands, runsInput, writes, unreadable: false }
}
