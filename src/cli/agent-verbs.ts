import type { VerbTable } from './run-program.js'

/**
 * The verbs agents call on every tool use, and all the agent-side CLI offers
 * (`dist/countersign-agent.mjs`): nothing of the gateway is loaded, or bundled, for them.
 */
export const AGENT_VERBS: VerbTable = {
  submit: async () => (await import('./submit-command.js')).submitCommand,
  exec: async () => (await import('./exec-command.js')).execCommand,
  hook: async () => (await import('./hook-command.js')).hookCommand,
  mcp: async () => (await import('./mcp-command.js')).mcpCommand,
}
