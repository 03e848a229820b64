import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Command, Option } from 'commander'
import { actionDigest, Countersign, denialReason, isSettled, type Action, type ActionInput } from '../sdk/index.js'
import { gatewayOptions, helpAndOutput, tokenOf, type ClientFlags } from './client-command.js'
import { DEFAULT_URL } from './http-client.js'
import type { CliIo } from './io.js'

/** How long a PreToolUse call waits for a decision by default: under Claude Code's default hook timeout (60 s). */
const DEFAULT_WAIT_SECONDS = 50
/**
 * How long past `--wait` the hook may take for its other requests before it gives up and blocks:
 * Claude Code lets the tool call run when a hook outlives its `timeout`, so the hook must answer
 * first (keep the hook's timeout above --wait plus this).
 */
export const HOOK_GRACE_SECONDS = 10
/** The exit code with which Claude Code blocks a PreToolUse call and shows stderr to the model. */
export const BLOCKING_EXIT = 2
/** How much of a brokered result is shown to the model, and of a tool's output reported as the outcome. */
const SHOWN_RESULT = 8 * 1024
const REPORTED_OUTPUT = 64 * 1024

interface ClaudeCodeFlags extends ClientFlags {
  readonly target?: string
  readonly mcpTarget: readonly string[]
  readonly wait: string
  readonly post?: boolean
  readonly stateDir?: string
}

/** A Claude Code hook event (the fields used; see the Claude Code hooks reference). */
interface HookEvent {
  readonly hook_event_name?: unknown
  readonly session_id?: unknown
  readonly tool_name?: unknown
  readonly tool_input?: unknown
  readonly tool_use_id?: unknown
  readonly tool_response?: unknown
  readonly error?: unknown
}

/** A PreToolUse decision, as Claude Code reads it from stdout. */
interface PreToolUseOutput {
  readonly hookSpecificOutput: { readonly hookEventName: 'PreToolUse'; readonly permissionDecision: 'allow' | 'deny'; readonly permissionDecisionReason: string }
}

/**
 * `countersign hook claude-code`: a Claude Code hook. As a PreToolUse hook it asks Countersign
 * about each Bash command (a `shell` action on `--target`) and each mapped MCP tool call (an `mcp`
 * action on its server's target), and prints allow or deny; with `--post` (PostToolUse and
 * PostToolUseFailure) it reports how an allowed call went. `readInput` reads the event (stdin).
 */
export function hookCommand(io: CliIo, readInput: () => Promise<string> = readStdin): Command {
  const claudeCode = helpAndOutput(new Command('claude-code').description('a Claude Code PreToolUse hook (and, with --post, PostToolUse hook) that asks Countersign before Bash and MCP tool calls run'), io, [
    'countersign hook claude-code --target dev-box',
    'countersign hook claude-code --target dev-box --mcp-target github=github-mcp --wait 100',
    'countersign hook claude-code --post',
  ])
    .option('--target <name>', 'the shell target Bash commands are asked for (the machine Claude Code runs on)')
    .addOption(new Option('--mcp-target <server=target...>', 'the target of an MCP server\'s tool calls (repeatable); tools of other servers are left to Claude Code').default([]))
    .option('--wait <seconds>', 'how long to wait for a decision before denying with the pending request\'s link (keep it under the hook\'s timeout)', String(DEFAULT_WAIT_SECONDS))
    .option('--post', 'run as the PostToolUse/PostToolUseFailure hook: report the outcome of a call the PreToolUse hook allowed')
    .option('--state-dir <dir>', 'where the hook remembers pending requests and running calls (default: $XDG_STATE_HOME/countersign/claude-code)')
    .addHelpText(
      'after',
      `
Reads the hook event on stdin and prints the decision on stdout (exit 0):
  allowed or approved        allow (a run without a connector is redeemed first)
  denied, expired, cancelled deny, with the policy's message or the reviewer's reason
  pending when --wait ends   deny, with the request id and its console link; once it is
                             approved, the identical call is allowed without a new request
  Countersign ran it itself  deny, with the output (a target with a connector)
  any error                  exit 2 (Claude Code blocks the call) with a one-line reason on
                             stderr, also printed as a deny on stdout (fail closed); so is no
                             answer within --wait plus ${HOOK_GRACE_SECONDS} s
Other tools, and MCP servers without --mcp-target, get no decision: Claude Code decides.`,
    )
    .action(async (flags: ClaudeCodeFlags) => {
      const state = new HookState(flags.stateDir ?? defaultStateDir(io.env))
      const client = new Countersign({ url: flags.url || io.env['COUNTERSIGN_URL'] || DEFAULT_URL, token: tokenOf(flags, io), headers: { 'x-countersign-client': 'cli' } })
      if (flags.post) {
        try {
          await reportOutcome(parseEvent(await readInput()), client, state)
        } catch (error) {
          // The tool already ran: a non-blocking error (exit 1) that Claude Code shows to the user.
          io.stderr(`countersign hook: the outcome could not be reported: ${oneLine(error)}\n`)
          io.setExitCode?.(1)
        }
        return
      }
      // Fail closed: Claude Code runs the tool when a hook exits with anything but 0 or 2, or outlives
      // its timeout. So every failure seen here (bad input, an unreachable or hung gateway, a bad
      // token, a bug) blocks with exit 2 and the reason on stderr, and the whole run has a deadline.
      const deadline = new AbortController()
      let timer: NodeJS.Timeout | undefined
      try {
        const budget = waitSeconds(flags.wait)
        timer = setTimeout(() => deadline.abort(new Error(`no answer from Countersign within --wait plus ${HOOK_GRACE_SECONDS} s`)), (budget + HOOK_GRACE_SECONDS) * 1000)
        const output = await abortable(preToolUse(parseEvent(await readInput()), flags, budget, client, state, deadline.signal), deadline.signal)
        if (output) io.stdout(`${JSON.stringify(output)}\n`)
      } catch (error) {
        const reason = `Countersign could not decide, so this is denied to be safe: ${oneLine(error)}`
        // The JSON deny too, for a Claude Code that reads stdout whatever the exit code.
        io.stdout(`${JSON.stringify(decision('deny', reason))}\n`)
        io.stderr(`${reason}\n`)
        io.setExitCode?.(BLOCKING_EXIT)
      } finally {
        clearTimeout(timer)
      }
    })
  const command = gatewayOptions(claudeCode, { json: false })
  return new Command('hook').description('agent-side hooks that put Countersign in front of a coding assistant\'s tools').addCommand(command).configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).exitOverride()
}

/** The decision for a PreToolUse event, or `undefined` when Claude Code should decide itself. */
async function preToolUse(event: HookEvent, flags: ClaudeCodeFlags, budget: number, client: Countersign, state: HookState, signal: AbortSignal): Promise<PreToolUseOutput | undefined> {
  if (event.hook_event_name !== undefined && event.hook_event_name !== 'PreToolUse') throw new Error(`expected a PreToolUse event, got ${String(event.hook_event_name)} (use --post for PostToolUse)`)
  const action = actionOf(event, flags)
  if (!action) return undefined
  const deadline = performance.now() + budget * 1000
  const digest = await actionDigest(action)
  const session = typeof event.session_id === 'string' ? event.session_id : ''
  const pendingKey = `pending\0${session}\0${digest}`
  let current = await remembered(client, state, pendingKey, digest, signal)
  current ??= await client.submit(action, { wait: Math.min(60, Math.max(0, (deadline - performance.now()) / 1000)), signal })
  if (!isSettled(current) && performance.now() < deadline) current = await client.waitFor(current.id, { timeoutMs: Math.max(0, deadline - performance.now()), signal })

  const request = `Countersign request ${current.id}`
  if (!isSettled(current)) {
    // Remembered for this session: the identical call, made again, picks this request up.
    state.write(pendingKey, current.id)
    if (current.status === 'pending') {
      const needs = current.decision.requirements.filter((requirement) => !requirement.met).map((requirement) => `${requirement.min_approvals - requirement.approved_by.length} of ${requirement.approvers.join(', ') || 'any human'}`)
      return decision('deny', `${request} needs approval before this can run (waiting for ${needs.join('; ') || 'a reviewer'}). Ask the user to approve it${current.links.console ? ` at ${current.links.console}` : ''}; once it is approved, make exactly the same call again.`)
    }
    return decision('deny', `${request}: Countersign is running this on target ${current.target} itself; make the same call again later for its result.`)
  }
  state.remove(pendingKey)
  if (current.status === 'denied') return decision('deny', `${request} was denied: ${denialReason(current)}`)
  if (current.status === 'expired' || current.status === 'cancelled') return decision('deny', `${request} ${current.status === 'expired' ? 'expired' : 'was cancelled'} before it ran; it was not run.`)
  if (current.brokered) return decision('deny', `${request}: Countersign ran this on target ${current.target} itself (${current.status}); it must not run here too. Its result:\n${resultText(current)}`)
  // Allowed or approved, and Claude Code runs it: redeem the single-use receipt now, so the audit log shows it executing.
  const { receipt } = await client.receipt(current.id, { signal })
  await client.redeem({ receipt, target: current.target, action }, { signal })
  if (typeof event.tool_use_id === 'string') state.write(runningKey(session, event.tool_use_id), current.id)
  const by = current.status === 'approved' ? `approved by ${current.reviews.filter((review) => review.decision === 'approve').map((review) => review.reviewer).join(', ')}` : `allowed by ${current.decision.matched_rules.join(', ') || 'the default policy'}`
  return decision('allow', `${request} ${by}.`)
}

/** The action a tool call is, on its target; `undefined` for tools Countersign is not asked about. */
function actionOf(event: HookEvent, flags: ClaudeCodeFlags): ActionInput | undefined {
  const input = event.tool_input && typeof event.tool_input === 'object' && !Array.isArray(event.tool_input) ? (event.tool_input as Record<string, unknown>) : {}
  const session = typeof event.session_id === 'string' && event.session_id ? { session: event.session_id.slice(0, 500) } : {}
  if (event.tool_name === 'Bash') {
    if (!flags.target) throw new Error('no --target for Bash commands in the hook\'s command line')
    if (typeof input['command'] !== 'string' || input['command'] === '') throw new Error('the Bash call has no command')
    // Bash's `description` is Claude's own account of what the command does: the request's reason.
    const reason = typeof input['description'] === 'string' && input['description'] ? { reason: input['description'].slice(0, 10_000) } : {}
    return { kind: 'shell', target: flags.target, payload: { command: input['command'] }, context: { ...session, ...reason } }
  }
  const mcp = typeof event.tool_name === 'string' ? /^mcp__(.+?)__(.+)$/.exec(event.tool_name) : null
  if (!mcp) return undefined
  const [, server, tool] = mcp as unknown as [string, string, string]
  const target = mcpTargets(flags.mcpTarget).get(server)
  if (!target) return undefined
  return { kind: 'mcp', target, payload: { server, tool, arguments: input }, context: session }
}

/** `--wait` in seconds, from 0 to 3600. */
function waitSeconds(wait: string): number {
  const budget = Number(wait)
  if (!/^\d+(\.\d+)?$/.test(wait) || budget > 3600) throw new Error(`--wait: expected seconds from 0 to 3600, got ${JSON.stringify(wait)}`)
  return budget
}

/** `work`, or a rejection once `signal` aborts (a request that ignores the signal cannot hold the hook past its deadline). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function mcpTargets(pairs: readonly string[]): Map<string, string> {
  const targets = new Map<string, string>()
  for (const pair of pairs) {
    const match = /^([^=]+)=(.+)$/.exec(pair)
    if (!match) throw new Error(`--mcp-target: expected SERVER=TARGET, got ${JSON.stringify(pair)}`)
    targets.set(match[1]!, match[2]!)
  }
  return targets
}

/** A request remembered for this call that can still decide it; forgotten when it cannot. */
async function remembered(client: Countersign, state: HookState, key: string, digest: string, signal: AbortSignal): Promise<Action | undefined> {
  const id = state.read(key)
  if (!id) return undefined
  const action = await client.get(id, { signal }).catch((error: unknown) => {
    if (signal.aborted) throw error
    return undefined
  })
  // A changed payload, a lapsed request, or one already run here: the call is asked about anew.
  const usable = action && action.digest === digest && action.status !== 'expired' && action.status !== 'cancelled' && (action.brokered || !['executing', 'succeeded', 'failed'].includes(action.status))
  if (usable) return action
  state.remove(key)
  return undefined
}

/** `--post`: reports the outcome of a call the PreToolUse hook allowed (and redeemed). */
async function reportOutcome(event: HookEvent, client: Countersign, state: HookState): Promise<void> {
  if (event.hook_event_name !== 'PostToolUse' && event.hook_event_name !== 'PostToolUseFailure') throw new Error(`expected a PostToolUse or PostToolUseFailure event, got ${String(event.hook_event_name)}`)
  if (typeof event.tool_use_id !== 'string') return
  const key = runningKey(typeof event.session_id === 'string' ? event.session_id : '', event.tool_use_id)
  const id = state.read(key)
  if (!id) return
  state.remove(key)
  if (event.hook_event_name === 'PostToolUseFailure') {
    await client.reportOutcome(id, { status: 'failed', error: (typeof event.error === 'string' ? event.error : 'the tool call failed').slice(0, 4096) })
    return
  }
  const response = event.tool_response
  const bash = response && typeof response === 'object' ? (response as { stdout?: unknown; stderr?: unknown; interrupted?: unknown; isError?: unknown }) : {}
  const output = typeof bash.stdout === 'string' || typeof bash.stderr === 'string' ? [bash.stdout, bash.stderr].filter((text) => typeof text === 'string' && text !== '').join('\n') : typeof response === 'string' ? response : (JSON.stringify(response) ?? '')
  const failed = bash.interrupted === true || bash.isError === true
  await client.reportOutcome(id, { status: failed ? 'failed' : 'succeeded', output: output.slice(0, REPORTED_OUTPUT), ...(bash.interrupted === true && { error: 'interrupted' }) })
}

function runningKey(session: string, toolUseId: string): string {
  return `running\0${session}\0${toolUseId}`
}

function decision(permissionDecision: 'allow' | 'deny', reason: string): PreToolUseOutput {
  return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision, permissionDecisionReason: reason } }
}

function resultText(action: Action): string {
  const result = action.result ?? {}
  const text = typeof result['stdout'] === 'string' || typeof result['stderr'] === 'string' ? `${String(result['stdout'] ?? '')}${String(result['stderr'] ?? '')}` : JSON.stringify(result)
  const exit = typeof result['exit_code'] === 'number' ? `exit code ${result['exit_code']}\n` : ''
  return exit + (text.length > SHOWN_RESULT ? `${text.slice(0, SHOWN_RESULT)}\n… (${text.length - SHOWN_RESULT} more characters in ${action.links.console ?? action.links.self})` : text)
}

function parseEvent(text: string): HookEvent {
  let event: unknown
  try {
    event = JSON.parse(text)
  } catch {
    throw new Error('the hook event on stdin is not JSON')
  }
  if (!event || typeof event !== 'object' || Array.isArray(event)) throw new Error('the hook event on stdin is not a JSON object')
  return event as HookEvent
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 500)
}

/**
 * What the hook remembers between its runs (each tool call is a new process): per session, the
 * request a pending call made, and per tool call, the action its PostToolUse reports on. Files
 * named by a hash of the key, in a directory only the user can read. A tampered entry can only
 * point at another action of the same agent, and is used only when its digest is this call's.
 */
class HookState {
  readonly #dir: string

  constructor(dir: string) {
    this.#dir = dir
  }

  read(key: string): string | undefined {
    try {
      const id = (JSON.parse(readFileSync(this.#file(key), 'utf8')) as { id?: unknown }).id
      return typeof id === 'string' && /^act_[0-9a-z]{26}$/.test(id) ? id : undefined
    } catch {
      return undefined
    }
  }

  write(key: string, id: string): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 })
    writeFileSync(this.#file(key), JSON.stringify({ id }), { mode: 0o600 })
  }

  remove(key: string): void {
    rmSync(this.#file(key), { force: true })
  }

  #file(key: string): string {
    return join(this.#dir, `${createHash('sha256').update(key).digest('hex')}.json`)
  }
}

function defaultStateDir(env: Readonly<Record<string, string | undefined>>): string {
  const base = env['XDG_STATE_HOME'] || join(env['HOME'] || '.', '.local', 'state')
  return join(base, 'countersign', 'claude-code')
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
