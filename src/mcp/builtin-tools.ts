import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { ActionKind } from '../action/index.js'

/** The built-in tool that waits for an action a held call left pending. */
export const WAIT_TOOL = 'countersign_wait'

const HOW_IT_RUNS =
  'Countersign runs it with credentials you never see, once its policy allows it or humans approve it; a denied call returns an error with the reason. ' +
  'A call held for review waits; if the wait outlasts the hold, the result says it is pending, with its id: call countersign_wait with that id (or repeat the identical call) for the outcome.'

const reason = z.string().max(10_000).optional()

/** A built-in tool that runs one kind of action on a brokered target of that kind. */
export interface BuiltinTool {
  readonly name: string
  readonly kind: ActionKind
  /** Its arguments, checked before anything is submitted. */
  readonly args: z.ZodType<{ target: string; reason?: string | undefined } & Record<string, unknown>>
  /** The action's payload from the checked arguments. */
  payload(args: Record<string, unknown>): Record<string, unknown>
  /** The tool as listed, offering `targets`. */
  describe(targets: readonly string[]): Tool
}

const targetProperty = (targets: readonly string[], what: string) => ({ type: 'string', enum: [...targets], description: `The ${what} to use, by its name in Countersign` })
const reasonProperty = { type: 'string', description: 'Why: shown to the humans who review it, and recorded' }

/** `run_sql`, `run_command` and `http_request`: the brokered connectors as tools. */
export const BUILTIN_TOOLS: readonly BuiltinTool[] = [
  {
    name: 'run_sql',
    kind: 'sql',
    args: z.strictObject({ target: z.string(), sql: z.string().min(1), reason }),
    payload: (args) => ({ sql: args['sql'] }),
    describe: (targets) => ({
      name: 'run_sql',
      title: 'Run SQL',
      description: `Runs SQL on a database. ${HOW_IT_RUNS}`,
      inputSchema: { type: 'object', properties: { target: targetProperty(targets, 'database'), sql: { type: 'string', description: 'The SQL to run, as it should run' }, reason: reasonProperty }, required: ['target', 'sql'], additionalProperties: false },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    }),
  },
  {
    name: 'run_command',
    kind: 'shell',
    args: z.strictObject({ target: z.string(), command: z.string().min(1), reason }),
    payload: (args) => ({ command: args['command'] }),
    describe: (targets) => ({
      name: 'run_command',
      title: 'Run a shell command',
      description: `Runs a shell command (bash) on a host. ${HOW_IT_RUNS}`,
      inputSchema: { type: 'object', properties: { target: targetProperty(targets, 'host'), command: { type: 'string', description: 'The command line, as typed in bash' }, reason: reasonProperty }, required: ['target', 'command'], additionalProperties: false },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    }),
  },
  {
    name: 'http_request',
    kind: 'http',
    args: z.strictObject({ target: z.string(), method: z.string().min(1), url: z.string().min(1), headers: z.record(z.string(), z.string()).optional(), body: z.unknown().optional(), reason }),
    payload: (args) => ({ method: args['method'], url: args['url'], ...(args['headers'] !== undefined && { headers: args['headers'] }), ...(args['body'] !== undefined && { body: args['body'] }) }),
    describe: (targets) => ({
      name: 'http_request',
      title: 'Send an HTTP request',
      description: `Sends an HTTP request to an API; Countersign adds the API's credentials. ${HOW_IT_RUNS}`,
      inputSchema: {
        type: 'object',
        properties: {
          target: targetProperty(targets, 'API'),
          method: { type: 'string', description: 'GET, POST, PUT, PATCH, DELETE…' },
          url: { type: 'string', description: "A path below the API's base URL (e.g. /v1/items?limit=10), or a full URL on it" },
          headers: { type: 'object', additionalProperties: { type: 'string' } },
          body: { description: 'A JSON value, or a string sent as it is' },
          reason: reasonProperty,
        },
        required: ['target', 'method', 'url'],
        additionalProperties: false,
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    }),
  },
]

/** Arguments of `countersign_wait`. */
export const WaitArgs = z.strictObject({ id: z.string().min(1).max(200) })

/** `countersign_wait`, as listed. */
export function waitTool(holdSeconds: number): Tool {
  return {
    name: WAIT_TOOL,
    title: 'Wait for a pending action',
    description: `Waits (up to ${holdSeconds}s at a time) for the outcome of an action that a call left pending review, and returns it: the tool's result once it ran, or why it did not run. Call it again while it is still pending.`,
    inputSchema: { type: 'object', properties: { id: { type: 'string', description: 'The id the pending result gave (act_…)' } }, required: ['id'], additionalProperties: false },
    annotations: { readOnlyHint: true, openWorldHint: false },
  }
}
