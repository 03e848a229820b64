import type { ShellCommandFacts, ShellProgramArgFacts, ShellRedirectFacts } from './facts.js'

/** Where a command sits in a pipeline: the pipeline's id and the element's index. */
export interface PipeSlot {
  readonly id: number
  readonly index: number
}

/** A command found while walking, with what the summary and highlights need beyond its facts. */
export interface FoundCommand {
  readonly fact: ShellCommandFacts
  /** Its program is only known at run time (`$CMD`, `$(…)`, a glob). */
  readonly dynamic: boolean
  /** The user it runs as when elevated (`root` behind `sudo`); null otherwise. */
  readonly runsAs: string | null
  /** The user it elevates what it runs to, when it is `sudo`, `doas`, `su`…; null otherwise. */
  elevates: string | null
  /** A wrapper that only handed over (`sudo`, `nohup`…): summaries show what it ran instead. */
  hidden: boolean
  /** The first command it runs in its turn (the `rm` of `sudo rm`). */
  inner: FoundCommand | null
  /** Reads shell code from standard input (`bash`, `sh -s`). */
  readsStdin: boolean
  /** Its pipeline element; null outside pipelines. */
  pipe: PipeSlot | null
}

/** A payload's commands as found, before they become facts. */
export interface Collected {
  /** In the order found: a command before what it wraps, before the substitutions in its arguments. */
  readonly commands: readonly FoundCommand[]
  readonly redirects: readonly ShellRedirectFacts[]
  readonly hasSubstitution: boolean
  /** The first problem met, `""` when none. */
  readonly parseError: string
  /** How code hidden in strings runs (`bash -c`, `eval`, `sh <<EOF`, `| sh`), in first-seen order. */
  readonly codeVia: readonly string[]
  /** Downloads run as code through a substitution (`bash <(curl …)`): `curl → bash`. Pipes are in `pipes`. */
  readonly downloadsRun: readonly string[]
  /** Pipelines by id: for each element, the commands found in it (a wrapper and what it runs). */
  readonly pipes: ReadonlyMap<number, readonly (readonly FoundCommand[])[]>
  /** Constructs where bash evaluates text as code at run time (`arithmetic on data ($((x)))`), in first-seen order. */
  readonly evaluations: readonly string[]
  readonly runsCode: readonly ShellProgramArgFacts[]
  readonly modifies: readonly ShellProgramArgFacts[]
  readonly unbounded: boolean
  readonly globs: readonly string[]
  readonly sensitivePaths: readonly string[]
}

/** The command at the end of a wrapper chain: `rm` for `sudo nice rm`. */
export function innermost(found: FoundCommand): FoundCommand {
  let current = found
  while (current.inner !== null) current = current.inner
  return current
}

/** The command itself and what it runs, outermost first. */
export function chainOf(found: FoundCommand): FoundCommand[] {
  const chain = [found]
  let current = found
  while (current.inner !== null) {
    current = current.inner
    chain.push(current)
  }
  return chain
}
