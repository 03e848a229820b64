import { isAuthorized, preparsePolicySet, statefulIsAuthorized, type AuthorizationAnswer, type Context } from '@cedar-policy/cedar-wasm/nodejs'
import type { ShellFacts, SqlFacts } from '../../src/analyzers/index.js'
import type { GeneratedPolicy } from './rules.js'
import type { WorkItem } from './workload.js'

type Effect = 'allow' | 'deny' | 'review'

/** Cedar's answer mapped onto our effects, with the policies that determined it. */
export interface CedarDecision {
  readonly effect: Effect
  /** For deny: the forbids that applied. Otherwise: every permit that applied (allow and review rules). */
  readonly determining: readonly string[]
  readonly errors: number
}

/**
 * The facts as Cedar context. Cedar has no `exists` over a list of records, so the per-statement
 * and per-command facts are flattened into sets, computed from the facts exactly as the CEL side
 * reads them:
 *
 * | CEL (facts as they are)                                         | Cedar context                              |
 * |-----------------------------------------------------------------|--------------------------------------------|
 * | `sql.statements.exists(s, s.type in T && !s.has_where)` (T ⊆ update/delete/merge) | `sql.unbounded.containsAny(T)` |
 * | `sql.statements.exists(s, s.type == X && s.object == O)`        | `sql.type_objects.contains("X:O")`          |
 * | `sql.statements.exists(s, s.type == X)`                         | `sql.types.contains(X)`                     |
 * | `sql.statements.exists(s, N in s.targets)`                      | `sql.written.contains(N)`                   |
 * | `sql.statements.exists(s, s.returning)`                         | `sql.returning`                             |
 * | `sql.tables.size()`                                              | `sql.table_count`                           |
 * | `shell.commands.exists(c, c.sudo [&& c.program == P])`          | `shell.sudo` / `shell.sudo_programs.contains(P)` |
 * | `shell.commands.exists(c, c.program == P && A in c.args)`       | `shell.program_args.contains("P:A")`        |
 * | `shell.redirects.exists(r, r.target == F)`                      | `shell.redirect_targets.contains(F)`        |
 * | `shell.commands.size()`                                          | `shell.command_count`                       |
 */
export function cedarContext(item: WorkItem, facts: object | undefined): Context {
  const { action, target, agent } = item
  const context: Context = {
    target: { name: target.name, kind: target.kind, env: target.labels['env'] ?? '', labels: { ...target.labels } },
    agent: { id: agent.id, owner: agent.owner, labels: { ...agent.labels } },
    reason: action.context.reason ?? '',
    model: action.context.model ?? '',
  }
  if (action.kind === 'sql' && facts) context['sql'] = sqlContext(facts as SqlFacts)
  if (action.kind === 'shell' && facts) context['shell'] = shellContext(facts as ShellFacts)
  return context
}

function sqlContext(facts: SqlFacts): Context {
  const types = new Set<string>()
  const unbounded = new Set<string>()
  const typeObjects = new Set<string>()
  const written = new Set<string>()
  let returning = false
  for (const statement of facts.statements) {
    types.add(statement.type)
    if ((statement.type === 'update' || statement.type === 'delete' || statement.type === 'merge') && !statement.has_where) unbounded.add(statement.type)
    if (statement.object) typeObjects.add(`${statement.type}:${statement.object}`)
    for (const name of statement.targets) written.add(name)
    if (statement.returning) returning = true
  }
  return {
    read_only: facts.read_only,
    ddl: facts.ddl,
    dcl: facts.dcl,
    count: facts.count,
    parse_error: facts.parse_error,
    tables: [...facts.tables],
    table_count: facts.tables.length,
    functions: [...facts.functions],
    types: [...types],
    unbounded: [...unbounded],
    type_objects: [...typeObjects],
    written: [...written],
    returning,
  }
}

function shellContext(facts: ShellFacts): Context {
  const sudoPrograms = new Set<string>()
  const programArgs = new Set<string>()
  for (const command of facts.commands) {
    if (command.sudo) sudoPrograms.add(command.program)
    for (const arg of command.args) programArgs.add(`${command.program}:${arg}`)
  }
  return {
    programs: [...facts.programs],
    sudo: sudoPrograms.size > 0,
    sudo_programs: [...sudoPrograms],
    program_args: [...programArgs],
    redirect_targets: facts.redirects.map((redirect) => redirect.target),
    has_substitution: facts.has_substitution,
    parse_error: facts.parse_error,
    command_count: facts.commands.length,
  }
}

/** A ready-made request: everything but the policies. */
export interface CedarRequest {
  readonly principal: { readonly type: string; readonly id: string }
  readonly action: { readonly type: string; readonly id: string }
  readonly resource: { readonly type: string; readonly id: string }
  readonly context: Context
  readonly entities: []
}

export function cedarRequest(item: WorkItem, facts: object | undefined): CedarRequest {
  return {
    principal: { type: 'Agent', id: item.agent.id },
    action: { type: 'Action', id: item.action.kind },
    resource: { type: 'Target', id: item.target.name },
    context: cedarContext(item, facts),
    entities: [],
  }
}

/** Cedar over the generated policy: preparsed once (the fair comparison with a compiled policy), or passed as text per call. */
export class CedarEngine {
  readonly #policy: GeneratedPolicy
  readonly #policies: { staticPolicies: Record<string, string> }
  readonly #id: string

  constructor(policy: GeneratedPolicy, id = 'bench') {
    this.#policy = policy
    this.#policies = { staticPolicies: { ...policy.cedar } }
    this.#id = id
    const parsed = preparsePolicySet(id, this.#policies)
    if (parsed.type !== 'success') throw new Error(`Cedar rejected the policies: ${parsed.errors.map((error) => error.message).join('; ')}`)
  }

  /** `statefulIsAuthorized` against the preparsed policy set. */
  decide(request: CedarRequest): CedarDecision {
    return this.#combine(statefulIsAuthorized({ ...request, preparsedPolicySetId: this.#id }))
  }

  /** `isAuthorized` with the policies passed (and parsed) on every call. */
  decideUnparsed(request: CedarRequest): CedarDecision {
    return this.#combine(isAuthorized({ ...request, policies: this.#policies }))
  }

  /** Any forbid → deny; else a permit from a review rule → review; else a permit → allow; else the default. */
  #combine(answer: AuthorizationAnswer): CedarDecision {
    if (answer.type !== 'success') throw new Error(`Cedar failed: ${answer.errors.map((error) => error.message).join('; ')}`)
    const { decision, diagnostics } = answer.response
    const determining = diagnostics.reason
    const errors = diagnostics.errors.length
    if (decision === 'deny') return determining.length > 0 ? { effect: 'deny', determining, errors } : { effect: this.#policy.defaultEffect, determining, errors }
    const review = determining.some((id) => this.#policy.reviewIds.has(id))
    return { effect: review ? 'review' : 'allow', determining, errors }
  }
}
