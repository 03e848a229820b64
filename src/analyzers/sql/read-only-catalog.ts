import type { SqlCatalog } from './catalog.js'
import type { SqlStatementFacts } from './facts.js'
import { isObject, stringsOf } from './names.js'
import { isReadOnlyFunction } from './read-only-functions.js'
import { isReadOnlyOperator } from './read-only-operators.js'

type Obj = Readonly<Record<string, unknown>>

/** What the target's catalog says about one statement. */
export interface CatalogCheck {
  /** Why the statement may run something of the database's own or not known; empty when nothing. */
  readonly reasons: readonly string[]
  /** It may be planned (`EXPLAIN`) without running anything not known harmless: see {@link checkWithCatalog}. */
  readonly plannable: boolean
}

/** Statements `EXPLAIN` accepts that tell rows: everything else gets no estimate. */
const PLANNABLE: ReadonlySet<string> = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'])

/**
 * Resolves what a statement reaches by name against the target's catalog, conservatively,
 * since exact overload resolution needs the argument types:
 * - an unqualified function call counts as calling every function of that name the database
 *   has on the search path outside `pg_catalog` (`lower(3)` with `public.lower(integer)`), and so
 *   do attribute notation (`t.upper`, `(t).upper` call `upper(t)`) for functions taking a row,
 *   and function-style casts (`mytype(x)`);
 * - an operator, written (`a + b`) or implied (`=` of `IN (SELECT …)`, `CASE x WHEN`, `JOIN …
 *   USING`, `NATURAL JOIN`; `>=`/`<=` of `BETWEEN`), counts as every operator of that name of the
 *   database's own on the search path;
 * - a cast (`x::t`, `CAST(x AS t)`) to or from a type that a cast of the database's own
 *   converts `WITH FUNCTION`, or to a domain whose CHECK calls such functions;
 * - a relation runs what its view body, row-level security policies, and implicit casts of its
 *   columns' types run (views followed to any depth); a relation not in the catalog is not known.
 * `plannable`: the statement is one `EXPLAIN` estimates, no call is outside the allow-lists or
 * the database's own, and no relation it writes has a rule or default that would be planned.
 */
export function checkWithCatalog(statement: unknown, facts: SqlStatementFacts, catalog: SqlCatalog): CatalogCheck {
  const reasons: string[] = []
  const add = (reason: string) => {
    if (!reasons.includes(reason)) reasons.push(reason)
  }
  const walk = { allowListed: true }
  visit(statement, catalog, add, walk)
  // A statement that is not read-only anyway need not hear that a table it creates is not there yet.
  for (const table of facts.tables) for (const reason of relationReasons(table, catalog, 'read', facts.read_only)) add(reason)
  const writeReasons = facts.targets.flatMap((table) => relationReasons(table, catalog, 'write', false))
  const name = isObject(statement) ? Object.keys(statement)[0] ?? '' : ''
  const plannable = PLANNABLE.has(name) && facts.command !== 'SELECT INTO' && walk.allowListed && reasons.length === 0 && writeReasons.length === 0
  return { reasons, plannable }
}

function visit(value: unknown, catalog: SqlCatalog, add: (reason: string) => void, walk: { allowListed: boolean }): void {
  if (typeof value !== 'object' || value === null) return
  if (Array.isArray(value)) {
    for (const item of value) visit(item, catalog, add, walk)
    return
  }
  const node = value as Obj
  for (const key in node) {
    const inner = node[key]
    if (!isObject(inner)) {
      visit(inner, catalog, add, walk)
      continue
    }
    switch (key) {
      case 'FuncCall':
      case 'funccall':
        functionCall(stringsOf(inner.funcname), catalog, add, walk)
        break
      case 'A_Expr':
        for (const op of operatorsOf(inner)) operator(op, catalog, add, walk)
        break
      case 'SubLink':
        // `x IN (SELECT …)` has no operator name: it is `=`.
        if (inner.subLinkType === 'ANY_SUBLINK' || inner.subLinkType === 'ALL_SUBLINK' || inner.subLinkType === 'ROWCOMPARE_SUBLINK') {
          const op = stringsOf(inner.operName)
          operator(op.length === 0 ? ['='] : op, catalog, add, walk)
        }
        break
      case 'SortBy':
        if (Array.isArray(inner.useOp) && inner.useOp.length > 0) operator(stringsOf(inner.useOp), catalog, add, walk)
        break
      case 'CaseExpr':
        if (inner.arg !== undefined) operator(['='], catalog, add, walk)
        break
      case 'JoinExpr':
        if (inner.isNatural === true || (Array.isArray(inner.usingClause) && inner.usingClause.length > 0)) operator(['='], catalog, add, walk)
        break
      case 'ColumnRef': {
        const fields = Array.isArray(inner.fields) ? inner.fields : []
        const last = fields.at(-1)
        if (fields.length >= 2 && isObject(last) && isObject(last.String)) attribute(String(last.String.sval), catalog, add)
        break
      }
      case 'A_Indirection':
        for (const part of Array.isArray(inner.indirection) ? inner.indirection : []) {
          if (isObject(part) && isObject(part.String)) attribute(String(part.String.sval), catalog, add)
        }
        break
      case 'TypeCast':
        if (isObject(inner.typeName)) castTo(stringsOf(inner.typeName.names), catalog, add)
        break
    }
    visit(inner, catalog, add, walk)
  }
}

function functionCall(parts: readonly string[], catalog: SqlCatalog, add: (reason: string) => void, walk: { allowListed: boolean }): void {
  const name = parts.join('.')
  if (!isReadOnlyFunction(name)) walk.allowListed = false
  if (parts.length !== 1) return // pg_catalog.x is the built-in; any other schema is already not read-only
  const own = catalog.functions.get(parts[0] ?? '') ?? []
  for (const f of own) add(`${name}(…) may call ${f.signature}, a function of the database's own${f.volatility === 'v' ? ' (volatile)' : ''}`)
  castTo(parts, catalog, add)
}

function attribute(name: string, catalog: SqlCatalog, add: (reason: string) => void): void {
  for (const f of catalog.functions.get(name) ?? []) {
    if (f.rowArgument) add(`.${name} may call ${f.signature} in attribute notation`)
  }
}

function operator(parts: readonly string[], catalog: SqlCatalog, add: (reason: string) => void, walk: { allowListed: boolean }): void {
  if (!isReadOnlyOperator(parts)) walk.allowListed = false
  if (parts.length !== 1) return
  for (const signature of catalog.operators.get(parts[0] ?? '') ?? []) add(`operator ${parts[0]} may be ${signature}, an operator of the database's own`)
}

function castTo(names: readonly string[], catalog: SqlCatalog, add: (reason: string) => void): void {
  const type = names.at(-1)
  if (type === undefined) return
  const cast = catalog.castTypes.get(type)
  if (cast !== undefined) add(`${type} has a ${cast}`)
  const domain = catalog.domains.get(type)
  if (domain !== undefined) add(domain)
}

/** The operators an expression node applies, including those its syntax implies. */
function operatorsOf(expr: Obj): string[][] {
  const op = stringsOf(expr.name)
  switch (expr.kind) {
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
    case 'AEXPR_BETWEEN_SYM':
    case 'AEXPR_NOT_BETWEEN_SYM':
      return [['>='], ['<=']]
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT':
    case 'AEXPR_NULLIF':
      return [op.length > 0 ? op : ['=']]
    default:
      return op.length > 0 ? [op] : []
  }
}

/** `name`, `schema.name` or `catalog.schema.name` as facts write it (a part holding `.` or `"` is quoted). */
function splitName(name: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < name.length; i++) {
    const c = name[i]
    if (quoted) {
      if (c === '"' && name[i + 1] === '"') {
        current += '"'
        i++
      } else if (c === '"') quoted = false
      else current += c
    } else if (c === '"') quoted = true
    else if (c === '.') {
      parts.push(current)
      current = ''
    } else current += c
  }
  parts.push(current)
  return parts
}

/** What reading or writing a relation named in the facts runs, by the catalog; unknown relations are reasons too. */
function relationReasons(table: string, catalog: SqlCatalog, mode: 'read' | 'write', unknownCounts: boolean): string[] {
  const parts = splitName(table)
  const name = parts.at(-1) ?? ''
  const schemas = parts.length >= 2 ? [parts.at(-2) ?? ''] : catalog.searchPath
  const found = schemas.map((schema) => catalog.relations.get(`${schema}.${name}`)).filter((r) => r !== undefined)
  if (found.length === 0) return unknownCounts ? [`${table} is not in the target's catalog, so what reading it runs is not known`] : []
  return found.flatMap((r) => (mode === 'read' ? r.onRead : r.onWrite))
}
