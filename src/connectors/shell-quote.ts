const PLAIN = /^[A-Za-z0-9_/.,:@%+-]+$/

/**
 * Joins an argument vector into one POSIX shell command line that runs exactly that program with
 * exactly those arguments: every word that is not plainly safe is single-quoted, and the program
 * always is (so `if` or `A=b` is a program, not a keyword or an assignment).
 *
 * @example
 * shellJoin(['echo', "it's", '$HOME']) // `'echo' 'it'\''s' '$HOME'`
 */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((word, index) => (index > 0 && PLAIN.test(word) ? word : quote(word))).join(' ')
}

/** One word, single-quoted (a `'` inside becomes `'\''`). */
export function quote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`
}
