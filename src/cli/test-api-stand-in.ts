// TEST SUPPORT ONLY (excluded from the build by its test- prefix).
//
// A stand-in for the Countersign gateway's HTTP API: a real node:http server speaking the shapes
// of src/http/schemas.ts (action views, pages, problem+json errors, ?wait holds, bearer tokens),
// with none of the gateway's policy or review rules. It exists to test the CLI's flags, rendering
// and exit codes in-process; the real gateway's behavior is tested end to end elsewhere.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ActionStatus } from '../lifecycle/index.js'
import type { ActionView, AuditEventView, VerifyReport } from './api-types.js'
import type { ClientIo } from './client-command.js'
import { runCli } from './program.js'

/** One request the stand-in received. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly authorization: string | undefined
  readonly body: unknown
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] }

/** What a test can see and steer. */
export interface StandIn {
  readonly url: string
  /** The one token the stand-in accepts. */
  readonly token: string
  readonly requests: RecordedRequest[]
  readonly actions: Map<string, Mutable<ActionView>>
  /** The status a submitted action gets (default: pending). */
  submitStatus: ActionStatus
  verifyReport: VerifyReport
  auditEvents: AuditEventView[]
  /** Whether `POST /v1/actions?wait` holds (false: it answers at once, as when its wait ran out). */
  holdSubmit: boolean
  /** When set, every request is refused with this problem. */
  refuseWith: { readonly status: number; readonly code: string; readonly detail: string } | undefined
  /** Adds an action as if an agent had submitted it; returns it. */
  add(overrides?: Partial<ActionView>): Mutable<ActionView>
  /** Changes an action (a review arrived, it expired…) and wakes any request waiting on it. */
  change(id: string, changes: Partial<ActionView>): void
  close(): Promise<void>
}

let counter = 0

/** A complete action view with plausible values; `overrides` win. */
export function sampleAction(overrides: Partial<ActionView> = {}): Mutable<ActionView> {
  counter++
  const at = new Date(Date.now() - 90_000).toISOString()
  const id = `act_${counter.toString(36).padStart(26, '0')}`
  return {
    id,
    status: 'pending',
    kind: 'sql',
    target: 'prod-db',
    payload: { sql: 'DELETE FROM users WHERE id = 42' },
    context: { reason: 'remove a test account', model: 'claude', session: 'sess-1' },
    digest: 'a'.repeat(64),
    agent: 'deploy-bot',
    owner: 'carol@example.com',
    on_behalf_of: null,
    submitted_by: 'agent:deploy-bot',
    decision: {
      effect: 'review',
      matched_rules: ['destructive-sql-prod'],
      explanation: 'destructive-sql-prod requires review',
      messages: [],
      requirements: [
        { rule: 'destructive-sql-prod', approvers: ['group:dba'], min_approvals: 2, approved_by: [], met: false, timeout_ms: 1_800_000, execute_within_ms: 900_000, reason_required: true, channels: ['slack:#db-approvals'] },
      ],
      policy_version: 'b'.repeat(64),
    },
    impact: { summary: 'DELETE on users (1 statement)', highlights: ['deletes rows from users'], facts: {} },
    reviews: [],
    result: null,
    created_at: at,
    updated_at: at,
    expires_at: new Date(Date.now() + 1_800_000).toISOString(),
    execute_by: null,
    links: { self: `/v1/actions/${id}` },
    ...(overrides as Partial<Mutable<ActionView>>),
  }
}

/** Starts a stand-in gateway on a free local port. */
export async function startStandIn(): Promise<StandIn> {
  const token = `cs_user_${'t'.repeat(43)}`
  const waiting = new Set<() => void>()
  const wake = () => {
    for (const listener of [...waiting]) listener()
  }
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => problem(response, 500, 'INTERNAL', String(error)))
  })
  const state: StandIn = {
    url: '',
    token,
    requests: [],
    actions: new Map(),
    submitStatus: 'pending',
    verifyReport: { ok: true, events: 0, head: null, checkpoints: 0, problems: [] },
    auditEvents: [],
    refuseWith: undefined,
    holdSubmit: true,
    add(overrides = {}) {
      const action = sampleAction(overrides)
      state.actions.set(action.id, action)
      return action
    },
    change(id, changes) {
      const action = state.actions.get(id)
      if (!action) throw new Error(`no action ${id}`)
      Object.assign(action, changes, { updated_at: new Date(Date.parse(action.updated_at) + 1000).toISOString() })
      wake()
    },
    async close() {
      wake()
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }

  /** Holds until `changed()` or `seconds` pass, as `?wait` does. */
  async function hold(seconds: number, changed: () => boolean): Promise<void> {
    if (!(seconds > 0) || changed()) return
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        waiting.delete(check)
        resolve()
      }
      const check = () => changed() && done()
      const timer = setTimeout(done, seconds * 1000)
      waiting.add(check)
    })
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://stand-in')
    let text = ''
    for await (const chunk of request) text += String(chunk)
    const body: unknown = text ? JSON.parse(text) : undefined
    state.requests.push({ method: request.method ?? '', path: url.pathname, query: url.searchParams, authorization: request.headers.authorization, body })
    if (request.headers.authorization !== `Bearer ${token}`) return problem(response, 401, 'UNAUTHENTICATED', 'a valid bearer token is required (Authorization: Bearer cs_…)')
    if (state.refuseWith) return problem(response, state.refuseWith.status, state.refuseWith.code, state.refuseWith.detail)
    const route = `${request.method} ${url.pathname.replace(/act_[0-9a-z]{26}/, ':id')}`
    const id = /act_[0-9a-z]{26}/.exec(url.pathname)?.[0] ?? ''
    const wait = Number(url.searchParams.get('wait') ?? 0)
    const input = (body ?? {}) as Record<string, unknown>
    switch (route) {
      case 'POST /v1/actions': {
        if (typeof input['target'] !== 'string' || typeof input['kind'] !== 'string') return problem(response, 400, 'INVALID', 'invalid body: target: Required', [{ path: 'target', message: 'Required' }])
        if (input['target'] === 'nowhere') return problem(response, 400, 'INVALID', 'unknown target "nowhere"')
        const action = state.add({ kind: input['kind'], target: input['target'], payload: input['payload'] as Record<string, unknown>, context: (input['context'] ?? {}) as Record<string, unknown>, status: state.submitStatus, created_at: new Date().toISOString() })
        if (state.holdSubmit) await hold(wait, () => action.status !== 'pending')
        return send(response, 201, action)
      }
      case 'GET /v1/actions': {
        const statuses = url.searchParams.get('status')?.split(',')
        const limit = Number(url.searchParams.get('limit') ?? 50)
        const all = [...state.actions.values()].reverse().filter(
          (action) =>
            (!statuses || statuses.includes(action.status)) &&
            [['target', action.target], ['agent', action.agent], ['kind', action.kind]].every(([key, value]) => !url.searchParams.has(key!) || url.searchParams.get(key!) === value),
        )
        return send(response, 200, { actions: all.slice(0, limit), next_cursor: all.length > limit ? all[limit - 1]!.id : null })
      }
      case 'GET /v1/actions/:id': {
        const action = state.actions.get(id)
        if (!action) return problem(response, 404, 'NOT_FOUND', `no action ${id}`)
        const version = action.updated_at
        await hold(wait, () => action.updated_at !== version)
        return send(response, 200, action)
      }
      case 'POST /v1/actions/:id/reviews':
      case 'POST /v1/actions/:id/cancel': {
        const action = state.actions.get(id)
        if (!action) return problem(response, 404, 'NOT_FOUND', `no action ${id}`)
        if (action.status !== 'pending') return problem(response, 409, 'ALREADY_DECIDED', `the action is already ${action.status}`)
        if (route.endsWith('cancel')) state.change(id, { status: 'cancelled' })
        else if (input['decision'] === 'deny') state.change(id, { status: 'denied', reviews: [review('deny', input['reason'])] })
        else {
          if (action.decision.requirements.some((r) => r.reason_required) && !input['reason']) return problem(response, 400, 'INVALID', 'destructive-sql-prod requires a reason to approve')
          const requirements = action.decision.requirements.map((requirement) => ({ ...requirement, approved_by: [...requirement.approved_by, 'alice@example.com'] }))
          state.change(id, { reviews: [...action.reviews, review('approve', input['reason'])], decision: { ...action.decision, requirements } })
        }
        return send(response, 200, action)
      }
      case 'GET /v1/audit': {
        const since = Number(url.searchParams.get('since') ?? 0)
        const limit = Number(url.searchParams.get('limit') ?? 500)
        const last = state.auditEvents.at(-1)
        return send(response, 200, { events: state.auditEvents.filter((event) => event.seq > since).slice(0, limit), head: { seq: last?.seq ?? 0, hash: last?.hash ?? '0'.repeat(64) } })
      }
      case 'GET /v1/audit/verify':
        return send(response, 200, state.verifyReport)
      case 'POST /v1/tokens': {
        const issued = `cs_agent_${'k'.repeat(43)}`
        return send(response, 201, { token: issued, token_sha256: createHash('sha256').update(issued).digest('hex'), type: 'agent', subject: input['agent'], name: input['name'], created_at: new Date().toISOString(), created_by: 'human:admin@example.com', expires_at: null, revoked_at: null })
      }
      default:
        return problem(response, 404, 'NOT_FOUND', `no route ${request.method} ${url.pathname}`)
    }
  }

  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  Object.assign(state, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })
  return state
}

function review(decision: 'approve' | 'deny', reason: unknown): ActionView['reviews'][number] {
  return { reviewer: 'alice@example.com', decision, reason: typeof reason === 'string' ? reason : '', channel: 'cli', at: new Date().toISOString() }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

function problem(response: ServerResponse, status: number, code: string, detail: string, errors?: readonly { path: string; message: string }[]): void {
  const body = { type: `urn:countersign:problem:${code.toLowerCase()}`, title: code, status, detail, code, ...(errors && { errors }) }
  response.writeHead(status, { 'content-type': 'application/problem+json' }).end(JSON.stringify(body))
}

/** What one CLI run printed and returned. */
export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI in-process against `standIn` (its URL and token in the environment, stdout not a terminal). */
export async function cliAgainst(standIn: Pick<StandIn, 'url' | 'token'>, argv: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: { COUNTERSIGN_URL: standIn.url, COUNTERSIGN_TOKEN: standIn.token, ...env },
    cwd: process.cwd(),
    terminal: { isTTY: false },
  } as ClientIo)
  return { code, stdout, stderr }
}
