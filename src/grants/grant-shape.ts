import type { HttpFacts, McpFacts, ShellFacts, SqlFacts } from '../analyzers/index.js'

/**
 * What a grant admits, derived from the analyzer's facts of the approved action. Each kind keeps
 * only what may vary (values, row ids, file names); everything that says what the action does is
 * pinned. Kinds without a shape here (terraform, kubernetes, custom) cannot be granted.
 */
export type GrantShape =
  | {
      readonly kind: 'sql'
      /** Statement types, sorted, each once. */
      readonly statement_types: readonly string[]
      /** Types of the data-changing statements that had no WHERE (`update`, `delete`): only these may again. */
      readonly unscoped_types: readonly string[]
      /** Every table read or written, sorted. */
      readonly tables: readonly string[]
      /** The largest planner estimate of the approved statements; -1 when any was unknown. */
      readonly max_estimated_rows: number
    }
  | {
      readonly kind: 'shell'
      /** Each command that would run, in order: its program and its flags (arguments starting with `-`), sorted. */
      readonly commands: readonly { readonly program: string; readonly flags: readonly string[] }[]
      /** Redirections exactly as approved (`op target`). */
      readonly redirects: readonly string[]
      readonly sudo: boolean
    }
  | {
      readonly kind: 'http'
      readonly method: string
      readonly scheme: string
      readonly host: string
      readonly port: number
      /** The path with every segment that looks like an id (digits, a UUID, long hex) replaced by `{id}`. */
      readonly path_template: string
      /** Query parameter names and body keys, sorted. */
      readonly query_keys: readonly string[]
      readonly body_keys: readonly string[]
    }
  | {
      readonly kind: 'mcp'
      readonly server: string
      readonly tool: string
      /** The argument names, sorted. */
      readonly argument_keys: readonly string[]
    }

/** Why an action cannot be the base of a grant, or `undefined` when it can: for the reviewer. */
export function ungrantable(kind: string, facts: unknown): string | undefined {
  if (facts === null || typeof facts !== 'object') return `a ${kind} action has no facts to derive a grant from`
  if (kind === 'sql') {
    const sql = facts as SqlFacts
    if (sql.parse_error !== '') return 'its SQL does not parse'
    if (sql.statements.some((statement) => statement.type === 'other' || statement.type === 'do')) return 'it has statements whose effect is not known (DO blocks or others)'
    return undefined
  }
  if (kind === 'shell') {
    const shell = facts as ShellFacts
    if (shell.parse_error !== '') return 'its command does not parse'
    if (shell.dynamic || shell.has_substitution || shell.runs_code.length > 0) return 'it runs code only known at run time (substitutions, eval, interpreters)'
    if (shell.globs.length > 0) return 'it has arguments the shell would expand'
    return undefined
  }
  if (kind === 'http') return (facts as HttpFacts).parse_error !== '' ? 'its URL cannot be analyzed' : undefined
  if (kind === 'mcp') return undefined
  return `grants are not available for ${kind} actions`
}

/** The shape of an action, or `undefined` when its kind or facts cannot be granted (see {@link ungrantable}). */
export function grantShapeOf(kind: string, facts: unknown): GrantShape | undefined {
  if (ungrantable(kind, facts) !== undefined) return undefined
  switch (kind) {
    case 'sql': {
      const sql = facts as SqlFacts
      const unknown = sql.statements.some((statement) => !(statement.estimated_rows >= 0))
      return {
        kind: 'sql',
        statement_types: sortedSet(sql.statements.map((statement) => statement.type)),
        unscoped_types: sortedSet(sql.statements.filter((statement) => (statement.type === 'update' || statement.type === 'delete') && !statement.has_where).map((statement) => statement.type)),
        tables: sortedSet([...sql.tables, ...sql.statements.flatMap((statement) => [...statement.tables, ...statement.targets])]),
        max_estimated_rows: unknown ? -1 : Math.max(0, ...sql.statements.map((statement) => statement.estimated_rows)),
      }
    }
    case 'shell': {
      const shell = facts as ShellFacts
      return {
        kind: 'shell',
        commands: shell.commands.map((command) => ({ program: command.program, flags: sortedSet(command.args.filter((arg) => arg.startsWith('-'))) })),
        redirects: shell.redirects.map((redirect) => `${redirect.op} ${redirect.target}`),
        sudo: shell.commands.some((command) => command.sudo),
      }
    }
    case 'http': {
      const http = facts as HttpFacts
      return {
        kind: 'http',
        method: http.method,
        scheme: http.scheme,
        host: http.host,
        port: http.port,
        path_template: pathTemplate(http.path),
        query_keys: sortedSet(Object.keys(http.query)),
        body_keys: sortedSet(http.body_keys),
      }
    }
    case 'mcp': {
      const mcp = facts as McpFacts
      return { kind: 'mcp', server: mcp.server, tool: mcp.tool, argument_keys: sortedSet(Object.keys(mcp.arguments ?? {})) }
    }
    default:
      return undefined
  }
}

/**
 * Why `candidate` falls outside the approved shape, or `undefined` when the grant admits it.
 * Admitting only narrows: SQL may use fewer statement types and tables, never new ones, and
 * never more rows than estimated at approval; every other kind must match exactly on every
 * pinned dimension.
 */
export function shapeMismatch(approved: GrantShape, candidate: GrantShape): string | undefined {
  if (approved.kind !== candidate.kind) return `the grant is for ${approved.kind} actions, not ${candidate.kind}`
  if (approved.kind === 'sql' && candidate.kind === 'sql') {
    const types = outside(candidate.statement_types, approved.statement_types)
    if (types.length > 0) return `statement types ${types.join(', ')} are not in the grant (${approved.statement_types.join(', ')})`
    const unscoped = outside(candidate.unscoped_types, approved.unscoped_types)
    if (unscoped.length > 0) return `${unscoped.join(', ')} without WHERE is not in the grant`
    const tables = outside(candidate.tables, approved.tables)
    if (tables.length > 0) return `tables ${tables.join(', ')} are not in the grant (${approved.tables.join(', ') || 'none'})`
    // Unknown estimates on both sides are the same shape (a target without a catalog); a known
    // bound is never exceeded, and an unknown estimate never fits under a known bound.
    if (approved.max_estimated_rows === -1) return candidate.max_estimated_rows === -1 ? undefined : 'the grant was made without row estimates, and this action has them'
    if (candidate.max_estimated_rows === -1) return `its rows cannot be estimated; the grant allows at most ${approved.max_estimated_rows}`
    if (candidate.max_estimated_rows > approved.max_estimated_rows) return `an estimated ${candidate.max_estimated_rows} rows, more than the ${approved.max_estimated_rows} approved`
    return undefined
  }
  if (approved.kind === 'shell' && candidate.kind === 'shell') {
    if (candidate.sudo && !approved.sudo) return 'it runs with sudo; the approved command did not'
    const want = approved.commands.map(describeCommand)
    const got = candidate.commands.map(describeCommand)
    if (want.join(' | ') !== got.join(' | ')) return `its commands (${got.join('; ') || 'none'}) are not the approved ones (${want.join('; ')})`
    if (approved.redirects.join('\n') !== candidate.redirects.join('\n')) return 'its redirections differ from the approved ones'
    return undefined
  }
  if (approved.kind === 'http' && candidate.kind === 'http') {
    if (candidate.method !== approved.method) return `method ${candidate.method}, not ${approved.method}`
    const origin = (shape: typeof approved) => `${shape.scheme}://${shape.host}:${shape.port}`
    if (origin(candidate) !== origin(approved)) return `${origin(candidate)} is not ${origin(approved)}`
    if (candidate.path_template !== approved.path_template) return `path ${candidate.path_template} is not ${approved.path_template}`
    if (candidate.query_keys.join('&') !== approved.query_keys.join('&')) return 'its query parameters differ from the approved ones'
    if (candidate.body_keys.join(',') !== approved.body_keys.join(',')) return 'its body keys differ from the approved ones'
    return undefined
  }
  if (approved.kind === 'mcp' && candidate.kind === 'mcp') {
    if (candidate.server !== approved.server || candidate.tool !== approved.tool) return `tool ${candidate.server}/${candidate.tool} is not ${approved.server}/${approved.tool}`
    if (candidate.argument_keys.join(',') !== approved.argument_keys.join(',')) return `argument keys (${candidate.argument_keys.join(', ')}) differ from the approved ones (${approved.argument_keys.join(', ')})`
    return undefined
  }
  return 'the shapes cannot be compared'
}

const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,})$/i

/** `/repos/acme/api/issues/42` → `/repos/acme/api/issues/{id}`: ids vary, names do not. */
export function pathTemplate(path: string): string {
  return path
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? '{id}' : segment))
    .join('/')
}

function describeCommand(command: { readonly program: string; readonly flags: readonly string[] }): string {
  return [command.program, ...command.flags].join(' ')
}

function sortedSet(values: readonly string[]): readonly string[] {
  return [...new Set(values)].sort()
}

function outside(values: readonly string[], allowed: readonly string[]): readonly string[] {
  const set = new Set(allowed)
  return values.filter((value) => !set.has(value))
}
