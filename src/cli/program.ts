import type { CliIo } from './io.js'
import { runProgram, type VerbTable } from './run-program.js'

/** Every verb of `countersign`. */
export const CLI_VERBS: VerbTable = {
  policy: async () => (await import('./policy-command.js')).policyCommand,
  submit: async () => (await import('./submit-command.js')).submitCommand,
  exec: async () => (await import('./exec-command.js')).execCommand,
  hook: async () => (await import('./hook-command.js')).hookCommand,
  mcp: async () => (await import('./mcp-command.js')).mcpCommand,
  approve: async () => (await import('./review-commands.js')).approveCommand,
  deny: async () => (await import('./review-commands.js')).denyCommand,
  cancel: async () => (await import('./review-commands.js')).cancelCommand,
  'break-glass': async () => (await import('./break-glass-command.js')).breakGlassCommand,
  delegate: async () => (await import('./delegate-command.js')).delegateCommand,
  list: async () => (await import('./list-command.js')).listCommand,
  show: async () => (await import('./show-command.js')).showCommand,
  watch: async () => (await import('./watch-command.js')).watchCommand,
  audit: async () => (await import('./audit-command.js')).auditCommand,
  token: async () => (await import('./token-command.js')).tokenCommand,
  grants: async () => (await import('./grants-command.js')).grantsCommand,
  serve: async () => (await import('./serve-command.js')).serveCommand,
}

/** Runs `countersign` with every verb (see `runProgram`) and returns its exit code. */
export function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  return runProgram(argv, io, CLI_VERBS)
}
