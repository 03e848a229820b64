import { Command, CommanderError } from 'commander'
import { CountersignError, formatDetail } from '../errors/index.js'
import type { CliIo } from './io.js'
import { policyCommand } from './policy-command.js'
import { auditCommand } from './audit-command.js'
import { execCommand } from './exec-command.js'
import { hookCommand } from './hook-command.js'
import { listCommand } from './list-command.js'
import { mcpCommand } from './mcp-command.js'
import { approveCommand, cancelCommand, denyCommand } from './review-commands.js'
import { showCommand } from './show-command.js'
import { submitCommand } from './submit-command.js'
import { tokenCommand } from './token-command.js'
import { watchCommand } from './watch-command.js'
import { serveCommand } from './serve-command.js'

const VERSION = '0.1.0'

/** The `countersign` command tree. */
export function createProgram(io: CliIo): Command {
  const program = new Command('countersign')
    .description('Countersign: an approval gateway for the privileged actions of AI agents')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
  program.addCommand(policyCommand(io))
  program.addCommand(submitCommand(io))
  program.addCommand(execCommand(io))
  program.addCommand(hookCommand(io))
  program.addCommand(mcpCommand(io))
  program.addCommand(approveCommand(io))
  program.addCommand(denyCommand(io))
  program.addCommand(cancelCommand(io))
  program.addCommand(listCommand(io))
  program.addCommand(showCommand(io))
  program.addCommand(watchCommand(io))
  program.addCommand(auditCommand(io))
  program.addCommand(tokenCommand(io))
  program.addCommand(serveCommand(io))
  for (const command of program.commands) command.configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).exitOverride()
  return program
}

/**
 * Runs the CLI and returns its exit code: 0 done, 1 a check failed (e.g. a policy case),
 * 2 invalid input, other codes per error (CountersignError.exitCode). Errors are one line on stderr,
 * followed by located details when there are any.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0
  const program = createProgram({ ...io, setExitCode: (code) => (exitCode = code) })
  try {
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
