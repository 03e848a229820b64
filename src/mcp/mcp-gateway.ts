import { ErrorCode, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js'
import type { Logger } from 'pino'
import { actionDigest, ActionSchema } from '../action/index.js'
import type { TargetConfig } from '../config/index.js'
import { toolSourceOf } from '../connectors/index.js'
import { CountersignError } from '../errors/index.js'
import type { Agent } from '../lifecycle/index.js'
import { isSettled, type ActionState, type ConnectorSource, type Gateway } from '../service/index.js'
import { findReissuedAction } from '../store/index.js'
import { BUILTIN_TOOLS, WAIT_TOOL, WaitArgs, waitTool, type BuiltinTool } from './builtin-tools.js'
import type { ToolCatalog } from './tool-catalog.js'
import { namespacedNames } from './tool-names.js'
import { consoleLink, finalResult, pendingResult, waitingFor } from './tool-results.js'
import { brokeredTargets, mayUse } from './usable-targets.js'

/** What the MCP gateway is made of. */
export interface McpGatewayOptions {
  readonly gateway: Gateway
  /** The connectors the executor runs actions with: the same sessions list the upstreams' tools. */
  readonly connectors: ConnectorSource
  readonly catalog: ToolCatalog
  /** Every configured target (the gateway offers the ones each agent may use). */
  readonly targets: readonly TargetConfig[]
  /** Base of the console links in pending results. */
  readonly publicUrl: string
  /** How long a call is held waiting for its outcome (review, then the run) before it returns a pending result. */
  readonly holdMs: number
  /** How long after a reviewed action ended an identical call gets its outcome. */
  readonly reissueWindowMs: number
  /** How often a held call reports progress (when the client asked for it). */
  readonly progressMs?: number
  readonly logger?: Logger | undefined
}

/** How a held call tells its client it is still waiting (`notifications/progress`). */
export type ProgressReporter = (progress: number, message: string) => Promise<void>

/** One call in progress: stopped by `signal` (the client cancelled or went away). */
interface Call {
  readonly signal: AbortSignal
  readonly progress?: ProgressReporter | undefined
}

/** One tool an agent is offered, and what calling it does. */
type Offer =
  | { readonly type: 'upstream'; readonly tool: Tool; readonly target: TargetConfig; readonly name: string }
  | { readonly type: 'builtin'; readonly tool: Tool; readonly builtin: BuiltinTool; readonly targets: readonly string[] }
  | { readonly type: 'wait'; readonly tool: Tool }

const error = (message: string): CallToolResult => ({ content: [{ type: 'text', text: message }], isError: true })

/**
 * The MCP gateway's use cases, whatever the transport: the tools an agent is offered (every
 * upstream it may use, namespaced `TARGET__TOOL`, and the built-ins), and a tool call, which is an
 * action submitted through the gateway service like any other, held while humans review it.
 * It decides nothing: the policy does, on every call.
 */
export class McpGateway {
  readonly #options: McpGatewayOptions
  readonly #progressMs: number

  constructor(options: McpGatewayOptions) {
    this.#options = options
    this.#progressMs = options.progressMs ?? 5000
  }

  /** The tools `agent` is offered; `only` keeps the named targets' tools (and the built-in wait). */
  async listTools(agent: Agent, only?: readonly string[]): Promise<Tool[]> {
    return [...(await this.#offers(agent, only)).values()].map((offer) => offer.tool)
  }

  /**
   * Calls one offered tool as `agent`: submits its action, holds the call while it waits for
   * review (reporting progress), and returns the outcome, or a pending result once the hold ends.
   * Throws `InvalidParams` for a tool the agent is not offered.
   */
  async callTool(agent: Agent, name: string, args: Record<string, unknown> | undefined, call: Call & { readonly only?: readonly string[] | undefined }): Promise<CallToolResult> {
    const offer = (await this.#offers(agent, call.only)).get(name)
    if (!offer) throw new McpError(ErrorCode.InvalidParams, `no tool named ${name} is offered to you (list the tools again: an upstream may have changed, or it is not one you may use)`)
    if (offer.type === 'wait') {
      const parsed = WaitArgs.safeParse(args ?? {})
      if (!parsed.success) return error(`${WAIT_TOOL} takes {"id": "act_…"}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`)
      return this.#attempt(() => this.#options.gateway.get(agent, parsed.data.id), agent, call)
    }
    if (offer.type === 'upstream') {
      return this.#run(agent, { kind: 'mcp', target: offer.target.name, payload: { server: offer.target.name, tool: offer.name, arguments: args ?? {} } }, call)
    }
    const parsed = offer.builtin.args.safeParse(args ?? {})
    if (!parsed.success) return error(`invalid arguments: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; ')}`)
    const { target, reason } = parsed.data
    if (!offer.targets.includes(target)) return error(`${target} is not a target you can use with ${offer.builtin.name}; use one of: ${offer.targets.join(', ')}`)
    const action = { kind: offer.builtin.kind, target, payload: offer.builtin.payload(parsed.data), ...(reason !== undefined && { context: { reason } }) }
    return this.#run(agent, action, call)
  }

  /** Submits the action (or finds the reviewed one an identical call made before) and holds it. */
  async #run(agent: Agent, action: { kind: string; target: string; payload: Record<string, unknown>; context?: Record<string, unknown> }, call: Call): Promise<CallToolResult> {
    const { gateway, reissueWindowMs } = this.#options
    return this.#attempt(async () => {
      const parsed = ActionSchema.safeParse(action)
      if (parsed.success) {
        const endedSince = new Date(gateway.now().getTime() - reissueWindowMs)
        const earlier = await findReissuedAction(gateway.store.db, { agent: agent.id, digest: actionDigest(parsed.data), endedSince })
        if (earlier) return gateway.get(agent, earlier)
      }
      return gateway.submit(agent, action, { channel: 'mcp', signal: call.signal })
    }, agent, call)
  }

  /** Gets the action's state, then holds it; a refusal by the service becomes a tool error. */
  async #attempt(start: () => Promise<ActionState>, agent: Agent, call: Call): Promise<CallToolResult> {
    let state: ActionState
    try {
      state = await start()
    } catch (caught) {
      if (!(caught instanceof CountersignError) || caught.code === 'INTERNAL') throw caught
      const details = caught.details.map((detail) => (detail.path ? `${detail.path}: ${detail.message}` : detail.message))
      return error(`Countersign refused the call: ${caught.message}${details.length > 0 ? ` (${details.join('; ')})` : ''}`)
    }
    return this.#hold(agent, state, call)
  }

  /** Waits for the action to settle, up to the hold, reporting progress every few seconds. */
  async #hold(agent: Agent, first: ActionState, call: Call): Promise<CallToolResult> {
    const { gateway, holdMs, publicUrl } = this.#options
    const until = performance.now() + holdMs
    let state = first
    for (let step = 1; !isSettled(state.record); step++) {
      const left = until - performance.now()
      if (left <= 0 || call.signal.aborted) return pendingResult(state, publicUrl)
      const { id, status } = state.record
      // An allowed call about to run says nothing at first: progress is for calls that wait.
      if (status === 'pending' || step > 1) {
        const waiting = status === 'pending' ? `waiting for approval by ${waitingFor(state)}` : status === 'executing' ? 'running' : `${status}, about to run`
        await call.progress?.(step, `${waiting} (action ${id}, ${consoleLink(publicUrl, id)})`).catch(() => {})
      }
      state = await gateway.waitForChange(agent, id, undefined, Math.min(left, this.#progressMs), call.signal)
    }
    return finalResult(state)
  }

  async #offers(agent: Agent, only: readonly string[] | undefined): Promise<Map<string, Offer>> {
    const { gateway, targets, holdMs } = this.#options
    const policy = gateway.policy
    const offered = (target: TargetConfig) => (only === undefined || only.includes(target.name)) && mayUse(policy, agent, target)
    const entries = (await Promise.all(brokeredTargets(targets, 'mcp', 'mcp').filter(offered).map((target) => this.#upstreamTools(target)))).flat()
    const names = namespacedNames(entries.map(({ target, tool }) => ({ target: target.name, tool: tool.name })))
    const offers = new Map<string, Offer>()
    entries.forEach(({ target, tool }, index) => {
      const name = names[index]!
      // No outputSchema: a pending result cannot conform to it, and clients reject results that do not.
      const shown: Tool = { name, ...(tool.title !== undefined && { title: tool.title }), description: tool.description ?? `${tool.name} on ${target.name}`, inputSchema: tool.inputSchema, ...(tool.annotations !== undefined && { annotations: tool.annotations }) }
      offers.set(name, { type: 'upstream', tool: shown, target, name: tool.name })
    })
    for (const builtin of BUILTIN_TOOLS) {
      const usable = brokeredTargets(targets, builtin.kind).filter(offered).map((target) => target.name)
      if (usable.length > 0) offers.set(builtin.name, { type: 'builtin', tool: builtin.describe(usable), builtin, targets: usable })
    }
    offers.set(WAIT_TOOL, { type: 'wait', tool: waitTool(Math.round(holdMs / 1000)) })
    return offers
  }

  /** The upstream's tools; none (and a warning) when it cannot be listed, so the others stay usable. */
  async #upstreamTools(target: TargetConfig): Promise<{ target: TargetConfig; tool: Tool }[]> {
    const { catalog, connectors, logger } = this.#options
    try {
      const source = toolSourceOf(connectors.get(target))
      if (!source) throw new CountersignError('INVALID', `target ${target.name}'s connector is not an MCP client`)
      return (await catalog.tools(target, source)).map((tool) => ({ target, tool }))
    } catch (caught) {
      logger?.warn({ target: target.name, err: caught }, 'an MCP upstream could not be listed; its tools are left out')
      return []
    }
  }
}
