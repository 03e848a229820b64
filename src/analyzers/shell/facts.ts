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
  /** The operator with its descriptor, if written: `>`, `2>`, `&>>`, `>|`, `3<>`. */
  readonly op: string
  /** The file as written, quotes removed (`"$LOG"` → `$LOG`). */
  readonly target: string
}

/** A program and the argument through which it does something its name does not say. */
export interface ShellProgramArgFacts {
  /** The basename of the program (`awk`, `find`, `date`). */
  readonly program: string
  /** The argument as the shell would pass it (`BEGIN{system("id")}`, `-exec rm {} ;`, `--set 2020-01-01`); `""` when the program itself is the point (`less`, whose `!` runs commands). */
  readonly arg: string
}

/** Facts of a `shell` action. */
export interface ShellFacts {
  /**
   * Every simple command that would run, including those found inside substitutions, `bash -c`
   * and `eval` strings, here-documents fed to a shell, and behind wrappers (`sudo`, `env`,
   * `xargs`, `find -exec`, `nohup`, `timeout`, `nice`, `taskset`, `chrt`, `nsenter`, `unshare`,
   * `setarch`, `strace`, `ltrace`, `valgrind`, `systemd-run`, `ssh HOST CMD`, `sshpass`,
   * `script -c`, `firejail`, `torsocks`, `npm exec`/`npx`, `uv run`, `poetry run`…), and the
   * literal commands of programs in `runs_code` (`awk 'BEGIN{system("…")}'`, `sed 'e …'`,
   * `tar --to-command=…`, `git -c core.pager=…`); the builtins `export`, `declare`, `local`,
   * `readonly`, `unset` count too. In source order, a wrapper before what it runs.
   */
  readonly commands: readonly ShellCommandFacts[]
  /** Distinct programs of `commands`, in first-seen order. */
  readonly programs: readonly string[]
  readonly redirects: readonly ShellRedirectFacts[]
  /** Any `$(…)`, backticks or process substitution `<(…)`/`>(…)`. */
  readonly has_substitution: boolean
  /**
   * Bash may evaluate text as code that is only known at run time, so `commands` may not be all
   * that runs. True when a program's name comes from a variable, a substitution, a glob or a
   * brace expansion (`$CMD arg`, `$(echo rm) -rf /`, `/bin/r?`: listed with its name as written,
   * program `$CMD`), and wherever bash evaluates data as code: arithmetic on anything but
   * constants (`$((x))`, `$[x]`, `((x))`, `let`, `for ((…))`, `[[ x -eq y ]]`, array subscripts
   * `${a[i]}`, substring offsets `${s:i}`, integer and nameref declarations), indirection `${!x}`,
   * prompt expansion `${x@P}`, variable names with subscripts given to `read`, `printf -v`,
   * `mapfile`, `test -v`…, `eval`/`bash -c`/`trap` strings with expansions, `source`, `mapfile -C`,
   * `compgen`/`complete -C/-F/-W`, `alias`, `enable -f`, `hash -p`, `fc`, assignments to variables
   * run as code (`PROMPT_COMMAND`, `PS4`, `BASH_ENV`, `BASH_FUNC_*`, `PATH`, `LD_PRELOAD`,
   * `GIT_PAGER`…), and programs that run data (`sed s/…/…/e`, `xargs sh`, `find -exec sh -c {}`).
   */
  readonly dynamic: boolean
  /**
   * Programs whose arguments run code (the GTFOBins class), each `{program, arg}`: interpreters
   * (`python -c`, `perl -e`, `node -e`, scripts), shells given `-c` or a script file, `source`,
   * `eval`, `trap`, `watch`, `parallel`, `ssh HOST CMD`, `awk` programs with `system`, pipes or
   * `getline` from a command, `sed` with `e` or `w`, `find -exec/-execdir/-ok/-okdir`, `xargs`,
   * `tar --checkpoint-action=exec=`/`--to-command`/`-I`, `git -c core.pager=`/`alias.*`/…,
   * editors and pagers (`vim -c ':!…'`, `less`, `man`), `env -S`, `rsync -e`, `zip -TT`,
   * `ssh -o ProxyCommand`, `nc -e`, `socat EXEC:`, `systemctl`/`loginctl`/`timedatectl`…
   * `-H HOST` (run over ssh), build tools and package scripts. Where the
   * embedded command is a literal its programs are in `commands` too. `[]` when none.
   */
  readonly runs_code: readonly ShellProgramArgFacts[]
  /**
   * Arguments the shell would expand, as written (quotes removed): globs (`*`, `?`, `[…]`,
   * extglob), brace expansions (`{a,b}`), tilde forms (`~`, `~user`), and parameter, command and
   * arithmetic expansions (`$F`, `"$(…)"`), whose values bash may split and glob. Redirect
   * targets count. `[]` when none, so a policy can require `size(shell.globs) == 0` before
   * trusting path rules that read `args`.
   */
  readonly globs: readonly string[]
  /**
   * Arguments and redirect targets that may name a file holding secrets, any glob or expansion
   * in them standing for anything: `/proc/PID/environ`, `cmdline`, `mem`, `maps`, `fd/…` of any process
   * (`/proc/$PPID/environ`, `/proc/self/environ`), `/etc/shadow`, SSH and cloud credentials
   * (`~/.aws/credential?`), `.env` files, private keys, and the gateway's own data directory
   * (`.countersign`), signing key and config. A directory given to a recursive reader
   * (`grep -r x /proc`) counts when it contains one. `[]` when none.
   */
  readonly sensitive_paths: readonly string[]
  /**
   * Options or operands that make a program that usually only reads change files or the
   * system, each `{program, arg}`: `date -s`/`date MMDDhhmm`, `hostname NAME`, `hostnamectl
   * set-*`, `timedatectl set-*`, `journalctl --vacuum-*`/`--rotate`/`--flush`, `dmesg -C/-c`,
   * `sysctl -w`/`k=v`, `hwclock --systohc`, `systemctl` verbs other than status and listing,
   * `sort -o`, `uniq IN OUT`, `sed -i`/`w`, `find -delete`/`-fprint`, `awk` output redirection,
   * `crontab FILE`, `ip … add/del/set`, and redirections to or from `/dev/tcp/HOST/PORT` or
   * `/dev/udp/…`, where bash opens a network connection (`cat < /dev/tcp/h/80`). `[]` when none.
   */
  readonly modifies: readonly ShellProgramArgFacts[]
  /**
   * Some command may run until stopped, holding an executor: it follows (`tail -f`,
   * `journalctl -f`, `dmesg -w`, `kubectl logs -f`), repeats (`watch`, `top` without `-n`,
   * `vmstat 1`, `ping` without `-c`/`-w`, `yes`), waits for a user (`less`, `vim`, `read`
   * without `-t`) or loops (`while`, `until`, `for ((…))`).
   */
  readonly unbounded: boolean
  /**
   * Why the input could not be fully analyzed, `""` otherwise: a syntax error with its line and
   * column (`missing ")" at line 1, column 9`), or `nesting too deep`. The commands found are
   * still listed, so a policy can deny on them as well as on this.
   */
  readonly parse_error: string
}
