import { isReadOnlyFunction } from './read-only-functions.js'
import { isReadOnlyOperator } from './read-only-operators.js'
import { isReadOnlyType } from './read-only-types.js'
import { functionName, isObject, rangeVarName, stringsOf } from './names.js'
import { statementLimitsRows } from './where-clause.js'

type Obj = Readonly<Record<string, unknown>>

/** The data-modifying statements, by parse-tree node name, with the type they give. */
export const WRITE_STATEMENTS = {
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
} as const
export type WriteStatement = keyof typeof WRITE_STATEMENTS

/** One INSERT/UPDATE/DELETE/MERGE found inside another statement (a CTE, a COPY query…). */
export interface NestedWrite {
  readonly type: (typeof WRITE_STATEMENTS)[WriteStatement]
  readonly table: string
  /** For update/delete/merge: whether a WHERE (merge: join condition) limits the rows. */
  readonly hasWhere: boolean
  readonly returning: boolean
  /** Inside a WITH clause, where an approver reading the main query would not look. */
  readonly inCte: boolean
}

/** What one walk over a statement's parse tree found. Lists are in first-seen order, without duplicates. */
export interface TreeWalk {
  /** Relations referenced anywhere (references to CTEs excluded). */
  readonly tables: readonly string[]
  /** Functions called anywhere (see `functionName`). */
  readonly functions: readonly string[]
  /** The subset of `functions` not on the read-only allow-list. */
  readonly unsafeFunctions: readonly string[]
  /** Operators not on the read-only allow-list, as written (`myschema.===`). */
  readonly unsafeOperators: readonly string[]
  /** Types values are converted to (casts, column definition lists) that are not on the built-in allow-list. */
  readonly unsafeTypes: readonly string[]
  readonly writes: readonly NestedWrite[]
  /** Node names of any other statements nested inside (not SELECT), e.g. `GrantStmt` in CREATE SCHEMA. */
  readonly nested: readonly string[]
  /** A `FOR UPDATE/SHARE` locking clause somewhere. */
  readonly locking: boolean
  /** The table a `SELECT … INTO` creates, `""` when none. */
  readonly into: string
}

interface WalkState {
  readonly tables: string[]
  readonly functions: string[]
  readonly unsafeFunctions: string[]
  readonly unsafeOperators: string[]
  readonly unsafeTypes: string[]
  readonly writes: NestedWrite[]
  readonly nested: string[]
  locking: boolean
  into: string
  /** CTE names visible at the current point, innermost last. */
  readonly scope: string[]
  cteDepth: number
}

/**
 * Walks a statement's parse tree generically — every object and array, whatever the node type —
 * so that constructs nobody listed here are still searched for relations, function calls,
 * operators and data-modifying statements. Pass the statement node itself (the value under
 * `DeleteStmt`, not `{DeleteStmt: …}`): statements found *below* it count as nested.
 *
 * What no parse tree shows: the bodies of views, triggers, rules and functions a statement
 * reaches by name, and calls in attribute notation (`SELECT t.f FROM t` calls `f(t)` when t has
 * no column f), which parse as column references.
 */
export function walkTree(statement: Obj): TreeWalk {
  const state: WalkState = {
    tables: [], functions: [], unsafeFunctions: [], unsafeOperators: [], unsafeTypes: [], writes: [], nested: [],
    locking: false, into: '', scope: [], cteDepth: 0,
  }
  visitObject(statement, state)
  return state
}

function visit(value: unknown, w: WalkState): void {
  if (typeof value !== 'object' || value === null) return
  if (Array.isArray(value)) {
    for (const item of value) visit(item, w)
    return
  }
  visitObject(value as Obj, w)
}

function visitObject(node: Obj, w: WalkState): void {
  // A RangeVar reached under a field name (`relation`, `rel`…) rather than as a `{RangeVar: …}`
  // node is a write target or a DDL subject: always a real relation, never a CTE reference.
  if (typeof node.relname === 'string') {
    addUnique(w.tables, rangeVarName(node))
    return
  }
  const scopeMark = w.scope.length
  if (isObject(node.withClause)) enterWith(node.withClause, w)
  for (const key in node) {
    const value = node[key]
    if (typeof value !== 'object' || value === null || key === 'withClause') continue
    switch (key) {
      case 'RangeVar':
        addReference(value as Obj, w)
        continue
      case 'sequence':
      case 'typevar':
      case 'identitySequence':
        // Bare RangeVars naming a sequence or a composite type, not a table.
        continue
      case 'lockingClause':
        // Its relation list names aliases, not tables; the clause itself is what matters.
        if (Array.isArray(value) && value.length > 0) w.locking = true
        continue
      case 'intoClause':
        if (isObject((value as Obj).rel)) w.into = rangeVarName((value as Obj).rel as Obj)
        break
      case 'FuncCall':
      case 'funccall': // CallStmt holds its FuncCall bare
        addFunction((value as Obj).funcname, w)
        break
      case 'RangeTableSample':
        // TABLESAMPLE methods are functions too; only the built-in ones are known to be harmless.
        checkSampleMethod((value as Obj).method, w)
        break
      case 'A_Expr':
        checkOperator((value as Obj).name, w)
        break
      case 'SubLink':
        checkOperator((value as Obj).operName, w)
        break
      case 'SortBy':
        checkOperator((value as Obj).useOp, w)
        break
      case 'typeName':
      case 'TypeName':
        checkType((value as Obj).names, w)
        break
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        addWrite(key, value as Obj, w)
        break
      case 'SelectStmt':
        break
      default:
        if (isStatementKey(key)) addUnique(w.nested, key)
    }
    visit(value, w)
  }
  w.scope.length = scopeMark
}

/**
 * Brings a WITH clause's names into scope the way PostgreSQL does: a plain CTE is visible to the
 * CTEs after it and to the main query, not to its own body (there `FROM x` is the table x);
 * with RECURSIVE every name is visible everywhere in the clause. The caller pops the names.
 */
function enterWith(withClause: Obj, w: WalkState): void {
  const ctes = Array.isArray(withClause.ctes) ? withClause.ctes : []
  const recursive = withClause.recursive === true
  if (recursive) for (const cte of ctes) pushCteName(cte, w)
  w.cteDepth++
  for (const cte of ctes) {
    visit(cte, w)
    if (!recursive) pushCteName(cte, w)
  }
  w.cteDepth--
  // Anything else the clause may hold in some future grammar is still searched.
  for (const key in withClause) if (key !== 'ctes') visit(withClause[key], w)
}

function pushCteName(cte: unknown, w: WalkState): void {
  const expr = isObject(cte) && isObject(cte.CommonTableExpr) ? cte.CommonTableExpr : undefined
  if (expr !== undefined && typeof expr.ctename === 'string') w.scope.push(expr.ctename)
}

function addReference(rv: Obj, w: WalkState): void {
  const unqualified = rv.schemaname === undefined && rv.catalogname === undefined
  if (unqualified && typeof rv.relname === 'string' && w.scope.includes(rv.relname)) return
  addUnique(w.tables, rangeVarName(rv))
}

function addFunction(funcname: unknown, w: WalkState): void {
  const name = functionName(funcname)
  if (w.functions.includes(name)) return
  w.functions.push(name)
  if (!isReadOnlyFunction(name)) w.unsafeFunctions.push(name)
}

const SAMPLE_METHODS: ReadonlySet<string> = new Set(['system', 'bernoulli'])

function checkSampleMethod(method: unknown, w: WalkState): void {
  const name = functionName(method)
  if (SAMPLE_METHODS.has(name)) return
  addUnique(w.functions, name)
  addUnique(w.unsafeFunctions, name)
}

function checkOperator(name: unknown, w: WalkState): void {
  if (!Array.isArray(name) || name.length === 0) return
  const parts = stringsOf(name)
  if (!isReadOnlyOperator(parts)) addUnique(w.unsafeOperators, parts.join('.'))
}

function checkType(names: unknown, w: WalkState): void {
  if (!Array.isArray(names) || names.length === 0) return
  const parts = stringsOf(names)
  if (!isReadOnlyType(parts)) addUnique(w.unsafeTypes, parts.join('.'))
}

function addWrite(key: WriteStatement, stmt: Obj, w: WalkState): void {
  const type = WRITE_STATEMENTS[key]
  w.writes.push({
    type,
    table: isObject(stmt.relation) ? rangeVarName(stmt.relation) : '',
    hasWhere: type !== 'insert' && statementLimitsRows(stmt, type),
    returning: hasReturning(stmt),
    inCte: w.cteDepth > 0,
  })
}

/** Whether an INSERT/UPDATE/DELETE/MERGE node has a RETURNING clause (PG 18 `returningClause`, older `returningList`). */
export function hasReturning(stmt: Obj): boolean {
  const clause = stmt.returningClause
  if (isObject(clause)) return Array.isArray(clause.exprs) && clause.exprs.length > 0
  return Array.isArray(stmt.returningList) && stmt.returningList.length > 0
}

/** `DeleteStmt`, `GrantStmt`… as opposed to field names such as `selectStmt`. */
function isStatementKey(key: string): boolean {
  const first = key.charCodeAt(0)
  return first >= 65 && first <= 90 && key.endsWith('Stmt')
}

function addUnique(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item)
}
