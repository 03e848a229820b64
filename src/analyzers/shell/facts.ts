/** One simple command that would run. */
export interface ShellCommandFacts {
  /** The basename of the program: `/bin/rm` → `rm`. */
  readonly program: string
  /** The program as written (`/bin/rm`, `./deploy.sh`, `rm`). */
  readonly path: string
  /** The arguments as the shell would pass them where knowable (quotes removed); unexpanded parts kept as written. */
  readonly args: readonly string[]
  /** Run through `sudo` (or `doas`, `su -c`, `pkexec`, `run0`, `runuser`), as root or another user; also set on what that command runs in its turn (`sudo bash -c 'rm x'` → `rm` too). */
  readonly sudo: boolean
}

/** A file redirection (`>`, `>>`, `<`, `&>`, `>&` to a file, `2>`…); heredocs, here-strings and descriptor duplications (`2>&1`) are not listed. */
export interface ShellRedirectFacts {
  /** The operator with its descriptor, if written: `>`, `2>`, `&>>`, `>|`. */
  readonly op: string
  /** The file as written, quotes removed (`"$LOG"` → `$LOG`). */
  readonly target: string
}

/** Facts of a `shell` action. */
export interface ShellFacts {
  /**
   * Every simple command that would run, including those found inside substitutions, `bash -c`
   * and `eval` strings, here-documents fed to a shell, and behind wrappers (`sudo`, `env`,
   * `xargs`, `find -exec`, `nohup`, `timeout`, `nice`…); the builtins `export`, `declare`,
   * `local`, `readonly`, `unset` count too. In source order, a wrapper before what it runs.
   */
  readonly commands: readonly ShellCommandFacts[]
  /** Distinct programs of `commands`, in first-seen order. */
  readonly programs: readonly string[]
  readonly redirects: readonly ShellRedirectFacts[]
  /** Any `$(…)`, backticks or process substitution `<(…)`/`>(…)`. */
  readonly has_substitution: boolean
  /**
   * Some program is only known at run time: its name comes from a variable, a substitution, a
   * glob or a brace expansion (`$CMD arg`, `$(echo rm) -rf /`, `/bin/r?`). Such a command is
   * listed with its name as written (program `$CMD`).
   */
  readonly dynamic: boolean
  /**
   * Why the input could not be fully analyzed, `""` otherwise: a syntax error with its line and
   * column (`missing ")" at line 1, column 9`), or `nesting too deep`. The commands found are
   * still listed, so a policy can deny on them as well as on this.
   */
  readonly parse_error: string
}
