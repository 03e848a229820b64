import { Command, CommanderError } from 'commander'
import { CountersignError, formatDetail } from '../errors/index.js'
import type { CliIo } from './io.js'

const VERSION = '0.1.0'

/** A verb's command, built for the given output. */
export type VerbFactory = (io: CliIo) => Command

/**
 * The verbs a program offers, in help order, each loaded only when used: `countersign hook`
 * loads the hook alone, not the gateway (PGlite, the analyzers' parsers, Hono), so that the
 * verbs agents call on every tool use start at once.
 */
export type VerbTable = Readonly<Record<string, () => Promise<VerbFactory>>>

/**
 * The `countersign` command tree for `argv`: the named verb alone when the first argument is one,
 * every verb otherwise (top-level help, `help VERB`, an unknown verb).
 */
export async function createProgram(io: CliIo, argv: readonly string[], verbs: VerbTable): Promise<Command> {
  const program = new Command('countersign')
    .description('Countersign: an approval gateway for the privileged actions of AI agents')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
  const first = argv[0]
  const names = first !== undefined && Object.hasOwn(verbs, first) ? [first] : Object.keys(verbs)
  const factories = await Promise.all(names.map((name) => verbs[name]!()))
  for (const factory of factories) program.addCommand(factory(io))
  for (const command of program.commands) command.configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).exitOverride()
  return program
}

/**
 * Runs the CLI and returns its exit code: 0 done, 1 a check failed (e.g. a policy case),
 * 2 invalid input, other codes per error (CountersignError.exitCode). Errors are one line on stderr,
 * followed by located details when there are any. The program offers `verbs`.
 */
export async function runProgram(argv: readonly string[], io: CliIo, verbs: VerbTable): Promise<number> {
  let exitCode = 0
  try {
    const program = await createProgram({ ...io, setExitCode: (code) => (exitCode = code) }, argv, verbs)
    await program.parseAsync(argv, { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    if (error instanceof CountersignError) {
      io.stderr(`countersign: ${error.message}\n`)
      for (const detail of error.details) io.stderr(`  ${formatDetail(detail)}\n`)
      return error.exitCode
    }
    io.stderr(`countersign: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
}

/** Runs the program with `verbs` as this process: its arguments, streams and exit code. */
export async function runProcess(verbs: VerbTable): Promise<void> {
  // Output piped into a reader that stops early (`countersign watch | head`) is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
      throw error
    })
  }
  process.exitCode = await runProgram(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  }, verbs)
}
