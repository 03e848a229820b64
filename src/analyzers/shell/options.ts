/** How a wrapper's options are spelled, enough to find where the wrapped command starts. */
export interface OptionSpec {
  /** Short options that take a value, attached (`-uroot`) or as the next argument (`-u root`). */
  readonly short?: string
  /** Short options whose value is optional and can only be attached (`xargs -i{}`). */
  readonly shortOptional?: string
  /** Long options that take a value, as `--user=root` or `--user root`. */
  readonly long?: readonly string[]
}

/** The options before the first operand. */
export interface ScannedOptions {
  /** Index of the first operand: the first argument that is not an option (or the length). */
  readonly operand: number
  /** Options seen: a short one by its letter, a long one by its name; each with its value or `''`. */
  readonly seen: ReadonlyMap<string, string>
}

/**
 * Scans getopt-style options (`-abc`, `-u root`, `--user=root`, `--`) from `from` on and
 * returns where the operands begin. An unknown option is taken as a flag without a value:
 * guessing wrong then shifts the wrapped command by one word, which still lists a program.
 *
 * @example scanOptions(['-u', 'bob', 'rm', '-rf', '/'], { short: 'u' }).operand // 2
 */
export function scanOptions(args: readonly string[], spec: OptionSpec, from = 0): ScannedOptions {
  const seen = new Map<string, string>()
  const short = spec.short ?? ''
  const optional = spec.shortOptional ?? ''
  let i = from
  while (i < args.length) {
    const arg = args[i] as string
    if (arg === '--') return { operand: i + 1, seen }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const name = arg.slice(2, eq === -1 ? undefined : eq)
      if (eq !== -1) seen.set(name, arg.slice(eq + 1))
      else if (spec.long?.includes(name)) {
        seen.set(name, args[i + 1] ?? '')
        i++
      } else seen.set(name, '')
      i++
      continue
    }
    if (!arg.startsWith('-') || arg.length < 2) break
    i++
    for (let k = 1; k < arg.length; k++) {
      const letter = arg[k] as string
      if (short.includes(letter)) {
        const rest = arg.slice(k + 1)
        if (rest !== '') seen.set(letter, rest)
        else {
          seen.set(letter, args[i] ?? '')
          i++
        }
        break
      }
      if (optional.includes(letter)) {
        seen.set(letter, arg.slice(k + 1))
        break
      }
      seen.set(letter, '')
    }
  }
  return { operand: i, seen }
}

/** Whether any of the given option names was seen. */
export function sawAny(options: ScannedOptions, ...names: readonly string[]): boolean {
  return names.some((name) => options.seen.has(name))
}
