/** What an awk program does besides printing. */
export interface AwkProgram {
  /** Literal command lines it runs: `system("…")`, `"…" | getline`, `print | "…"`. */
  readonly commands: readonly string[]
  /** It runs a command it builds at run time (`system($0)`, `cmd | getline` with a variable). */
  readonly runsComputed: boolean
  /** It writes files (`print > "f"`, `printf … >> f`). */
  readonly writes: boolean
}

const STRING = /"(?:[^"\\\n]|\\.)*"/g
/** A regex literal can start where an operand is expected: after these (or at the start). */
const REGEX_CONTEXT = /(^|[(,{};!~&|?:\n]|\breturn|\bprint|\bprintf)\s*$/

/**
 * Finds where an awk program runs commands (`system`, pipes to and from commands, `|&`
 * coprocesses) and whether it writes files. Strings and regex literals are set aside first, so
 * `/a|b/` and `"x|y"` are not pipes; what cannot be told apart counts as running a command.
 *
 * @example readAwkProgram('BEGIN{system("id")}').commands // ['id']
 */
export function readAwkProgram(program: string): AwkProgram {
  const strings: string[] = []
  // Strings become `"N"` placeholders, then regex literals are blanked.
  let text = program.replace(STRING, (literal) => `"${strings.push(unescape(literal.slice(1, -1))) - 1}"`)
  text = blankRegexes(text)
  const commands: string[] = []
  let runsComputed = false
  const literalAt = (expression: string): string | null => {
    const match = /^\s*\(?\s*"(\d+)"\s*\)?\s*$/.exec(expression)
    return match === null ? null : (strings[Number(match[1])] ?? null)
  }
  for (const match of text.matchAll(/\bsystem\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)) {
    const literal = literalAt(match[1] as string)
    if (literal === null) runsComputed = true
    else commands.push(literal)
  }
  if (/\bsystem\b/.test(text.replace(/\bsystem\s*\(/g, ''))) runsComputed = true
  const pipes = text.replace(/\|\|/g, '  ')
  for (const match of pipes.matchAll(/\|&?/g)) {
    const before = pipes.slice(0, match.index)
    const after = pipes.slice((match.index ?? 0) + match[0].length)
    if (/^\s*getline\b/.test(after)) {
      // `"cmd" | getline`: the command is the expression before the pipe.
      const command = /"(\d+)"\s*\)?\s*$/.exec(before)
      if (command !== null && /(^|[^\w$)\]])\(?\s*"\d+"\s*\)?\s*$/.test(before)) commands.push(strings[Number(command[1])] ?? '')
      else runsComputed = true
    } else {
      // `print | "cmd"`: the command is the expression after the pipe.
      const command = /^\s*"(\d+)"/.exec(after)
      if (command !== null && /^\s*"\d+"\s*($|[;}\n)])/.test(after)) commands.push(strings[Number(command[1])] ?? '')
      else runsComputed = true
    }
  }
  const writes = /\bprintf?\b[^;{}\n]*>/.test(text)
  return { commands, runsComputed, writes }
}

function blankRegexes(text: string): string {
  let out = ''
  let i = 0
  while (i < text.length) {
    const ch = text[i] as string
    if (ch === '/' && REGEX_CONTEXT.test(out)) {
      let j = i + 1
      let inBracket = false
      while (j < text.length && text[j] !== '\n') {
        const c = text[j] as string
        if (c === '\\') j++
        else if (c === '[') inBracket = true
        else if (c === ']') inBracket = false
        else if (c === '/' && !inBracket) break
        j++
      }
      out += ' '.repeat(Math.min(j + 1, text.length) - i)
      i = j + 1
      continue
    }
    out += ch
    i++
  }
  return out
}

/** awk string escapes that matter for a command line: `\"`, `\\`, `\n`, `\t`, `\/`. */
function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch === 't' ? '\t' : ch))
}
