/** One simple command that would run. */
export interface ShellCommandFacts {
  /** The basename of the program: `/bin/rm` → `rm`. */
  readonly program: string
  /** The program as written (`/bin/rm`, `./deploy.sh`, `rm`). */
  readonly path: string
  /** The arguments as the shell would pass them where knowable (quotes removed); unexpanded parts kept as written. */
  readonly args: readonly string[]
  /** Run through `sudo` (or `doas`, `su -c`, `pkexec`, `run0`). */
  readonly sudo: boolean
}

/** A file redirection (`>`, `>>`, `<`, `&>`, `>&` to a file, `2>`…); heredocs and here-strings are not listed. */
export interface ShellRedirectFacts {
  readonly op: string
  readonly target: string
}

/** Facts of a `shell` action. */
export interface ShellFacts {
  /** Every simple command that would run, in source order, including those found inside substitutions, `bash -c` strings, and behind wrappers (`sudo`, `env`, `xargs`, `find -exec`, `nohup`, `timeout`, `nice`…). */
  readonly commands: readonly ShellCommandFacts[]
  /** Distinct programs of `commands`, in first-seen order. */
  readonly programs: readonly string[]
  readonly redirects: readonly ShellRedirectFacts[]
  /** Any `$(…)`, backticks or process substitution `<(…)`/`>(…)`. */
  readonly has_substitution: boolean
  /** The reason the input is not valid bash; `""` otherwise. */
  readonly parse_error: string
}
