import { Command, Option } from 'commander'
import { CountersignError } from '../errors/index.js'
import { commandTokenSource, type TokenSource } from '../sdk/token-source.js'
import { ApiClient, DEFAULT_URL } from './http-client.js'
import type { CliIo } from './io.js'

/** What the CLI knows of the terminal it writes to: whether it is one, and how wide. */
export interface Terminal {
  readonly isTTY: boolean
  readonly columns?: number | undefined
  readonly rows?: number | undefined
}

/**
 * The io of the client verbs: {@link CliIo} plus, optionally, the terminal stdout is (tests pass
 * one; without it the process's own stdout is asked).
 */
export type ClientIo = CliIo & { readonly terminal?: Terminal }

/** The flags every client verb takes. */
export interface ClientFlags {
  readonly url?: string
  readonly token?: string
  readonly tokenCommand?: string
  readonly json?: boolean
}

const ENVIRONMENT_HELP = `
Environment:
  COUNTERSIGN_URL    the gateway (default ${DEFAULT_URL}); --url overrides it
  COUNTERSIGN_TOKEN  your bearer token (cs_user_… or cs_agent_…); prefer it to --token,
                     which other users of this machine can see in the process list
  COUNTERSIGN_TOKEN_COMMAND  a command (sh -c) printing a fresh token, run again before a
                     JWT expires and after a 401: short-lived workload tokens (CI OIDC)`

/**
 * A client verb: output through `io`, errors thrown to `runCli` instead of exiting, examples and
 * the environment in its help. Add {@link gatewayOptions} last, so the verb's own options come first in `--help`.
 */
export function clientCommand(name: string, description: string, io: CliIo, examples: readonly string[]): Command {
  return helpAndOutput(new Command(name).description(description), io, examples, ENVIRONMENT_HELP)
}

/** Adds `--url`, `--token` and (unless `json: false`) `--json`: the flags every client verb takes. */
export function gatewayOptions(command: Command, options: { json?: boolean } = {}): Command {
  command
    .addOption(new Option('--url <url>', `the gateway's base URL (default: COUNTERSIGN_URL or ${DEFAULT_URL})`).helpGroup('Gateway options:'))
    .addOption(new Option('--token <token>', 'bearer token (default: COUNTERSIGN_TOKEN)').helpGroup('Gateway options:'))
    .addOption(new Option('--token-command <cmd>', 'a command printing a fresh token, run again before it expires and after a 401 (default: COUNTERSIGN_TOKEN_COMMAND)').helpGroup('Gateway options:'))
  if (options.json !== false) command.addOption(new Option('--json', 'print the API response as JSON instead of text').helpGroup('Gateway options:'))
  return command
}

/** Examples and environment in `--help`, output through `io`, errors thrown instead of exiting. */
export function helpAndOutput(command: Command, io: CliIo, examples: readonly string[], extra = ''): Command {
  const text = examples.length > 0 ? `\nExamples:\n${examples.map((example) => `  $ ${example}`).join('\n')}\n` : ''
  return command
    .addHelpText('after', `${text}${extra}`)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
}

/** The API client for a verb's flags: `--url`/COUNTERSIGN_URL, `--token`/COUNTERSIGN_TOKEN. */
export function clientOf(flags: ClientFlags, io: CliIo): ApiClient {
  return new ApiClient(flags.url || io.env['COUNTERSIGN_URL'] || DEFAULT_URL, tokenOf(flags, io))
}

/** The token of a verb: `--token`/COUNTERSIGN_TOKEN, or else a source running `--token-command`/COUNTERSIGN_TOKEN_COMMAND. */
export function tokenOf(flags: ClientFlags, io: CliIo): string | TokenSource | undefined {
  const token = flags.token || io.env['COUNTERSIGN_TOKEN']
  if (token) return token
  const command = flags.tokenCommand || io.env['COUNTERSIGN_TOKEN_COMMAND']
  return command ? commandTokenSource(command, { env: { ...io.env } }) : undefined
}

/** The terminal stdout writes to. */
export function terminalOf(io: ClientIo): Terminal {
  return io.terminal ?? { isTTY: Boolean(process.stdout.isTTY), columns: process.stdout.columns, rows: process.stdout.rows }
}

const ACTION_ID = /^act_[0-9a-z]{26}$/

/** Checks an action id before anything is sent, so a typo is a usage error and not a 404. */
export function actionId(id: string): string {
  if (!ACTION_ID.test(id)) throw new CountersignError('INVALID', `not an action id: ${JSON.stringify(id)} (expected act_ and 26 letters or digits)`)
  return id
}

/** Prints a value as indented JSON on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`)
}
