import { isObject, stringsOf } from './names.js'

type Obj = Readonly<Record<string, unknown>>

/**
 * Whether an UPDATE/DELETE (or MERGE) node limits the rows it touches: what `has_where` says.
 *
 * `has_where` is what policies use to review full-table writes, so a WHERE counts only when it
 * clearly restricts rows, read conservatively (PostgreSQL's grammar, not the data, is all there
 * is here). A condition restricts when it is, or is ANDed with, an *atom* that compares a column
 * with a value not taken from the row:
 * Here a column is a bare column, a cast of one, `lower(col)`/`upper(col)`/`btrim(col)`, or a row of them
 * (never `id * 0`, `nullif(id, id)`, `(id IS NULL)`).
 * - `col = v`, `col IS NOT DISTINCT FROM v`, `col IN (v, …)`, `col = ANY (v)`, `col IS NULL`,
 *   `col IS TRUE/FALSE/UNKNOWN`, a boolean column alone or negated (`WHERE active`, `NOT done`),
 *   `col LIKE 'x%'` with some literal character in the pattern, `WHERE CURRENT OF cursor`;
 * - `col < v`, `col >= v`, `col BETWEEN v AND w`, except the open bounds that hold for every id
 *   (`id > 0`, `id >= 1`, `id > 0.5`, `id < 2147483647`, `BETWEEN 1 AND 2147483647`, `name >= ''`, `created > '-infinity'`);
 * - `col IN (SELECT t.c FROM t …)` / `col = ANY (SELECT …)` whose subquery returns a column qualified by
 *   its own FROM and whose own WHERE restricts.
 * An OR restricts only when every branch does, by equality, `IN`, `LIKE` or `IS NULL` alone
 * (branches may complement each other: `flag OR NOT flag`, `id < 5 OR id >= 5`). Nothing else counts: always-true forms (`true`,
 * `1 = 1`, `id = id`, `NOT false`, `1 < 2`), `IS NOT NULL`, `<>`/`NOT IN`/`NOT LIKE`, `EXISTS (…)`
 * (uncorrelated, it is all or nothing), scalar subqueries, `IN (SELECT id FROM users)`, NOT of a
 * comparison, function calls, CASE, comparisons of two columns (`a.id = b.a_id` is a join, not a limit).
 * With `UPDATE … FROM` / `DELETE … USING`, an atom must name a column of the written table by
 * its alias or name (`s.kind = 'web'`): a condition on the other table alone (`u.name = 'x'`)
 * still writes every row of the target when one row of the other matches.
 *
 * MERGE: its join condition counts when it restricts the target as above, or equates a column
 * of the target with one of the source (`ON t.id = s.id`): then the source's rows are the limit.
 * A condition that names no source column (`ON t.id IS NOT NULL`, `ON true`) matches every row
 * of the target as soon as the source has one.
 */
export function statementLimitsRows(stmt: Obj, type: 'update' | 'delete' | 'merge'): boolean {
  if (type === 'merge') return mergeLimitsRows(stmt)
  const clause = stmt.whereClause
  if (!isObject(clause)) return false
  const others = type === 'update' ? stmt.fromClause : stmt.usingClause
  const target = Array.isArray(others) && others.length > 0 && isObject(stmt.relation) ? targetNames(stmt.relation) : undefined
  return restricts(clause, target)
}

/**
 * Whether a clause is present and not plainly always true (`WHERE true`, `WHERE 1 = 1`, `id = id`,
 * `NOT false`, `1 < 2`): the weaker test, kept for MERGE join conditions and risk notes.
 */
export function limitsRows(clause: unknown): boolean {
  return isObject(clause) && !alwaysTrue(clause)
}

function mergeLimitsRows(stmt: Obj): boolean {
  const condition = stmt.joinCondition
  if (!isObject(condition) || alwaysTrue(condition) || !isObject(stmt.relation)) return false
  const target = targetNames(stmt.relation)
  const source = sourceNames(stmt.sourceRelation)
  if (restricts(condition, target)) return true
  // The source must be a limit itself: not the target table again, nor a query of every row.
  if (!sourceIsLimit(stmt.sourceRelation, stmt.relation)) return false
  // Any conjunct `t.x = s.y` ties each written row to a row of the source.
  const conjuncts = (node: unknown): unknown[] => {
    const bool = isObject(node) ? node.BoolExpr : undefined
    return isObject(bool) && bool.boolop === 'AND_EXPR' && Array.isArray(bool.args) ? bool.args.flatMap(conjuncts) : [node]
  }
  return conjuncts(condition).some((node) => {
    const expr = isObject(node) ? node.A_Expr : undefined
    if (!isObject(expr) || expr.kind !== 'AEXPR_OP' || stringsOf(expr.name).join('.') !== '=') return false
    const [l, r] = [qualifiers(expr.lexpr), qualifiers(expr.rexpr)]
    const only = (names: Set<string> | undefined, allowed: readonly string[]) => names !== undefined && names.size > 0 && [...names].every((n) => allowed.includes(n))
    return (only(l, target) && only(r, source)) || (only(l, source) && only(r, target))
  })
}

/**
 * Whether a MERGE source limits the rows it matches: another table (a staging table's rows are
 * the limit), a VALUES list, a query of constants without a set-returning call, or a query whose
 * own WHERE restricts. Not the target table itself (`USING users s ON t.id = s.id` is every row),
 * nor `(SELECT id FROM users)`, nor `(SELECT generate_series(1, 100000) AS id)`.
 */
function sourceIsLimit(source: unknown, target: Obj): boolean {
  if (!isObject(source)) return false
  const range = source.RangeVar
  if (isObject(range)) return range.relname !== target.relname
  const sub = source.RangeSubselect
  const select = isObject(sub) && isObject(sub.subquery) && isObject(sub.subquery.SelectStmt) ? sub.subquery.SelectStmt : undefined
  if (select === undefined || (select.op !== undefined && select.op !== 'SETOP_NONE')) return false
  if (Array.isArray(select.valuesLists) && select.valuesLists.length > 0) return true
  const calls = JSON.stringify(select.targetList ?? []).includes('"FuncCall"')
  if (!Array.isArray(select.fromClause) || select.fromClause.length === 0) return !calls
  return restricts(select.whereClause, undefined)
}

/** The names a source relation's columns are qualified with: its alias, else its name. */
function sourceNames(relation: unknown): readonly string[] {
  if (!isObject(relation)) return []
  const inner = isObject(relation.RangeVar) ? relation.RangeVar : isObject(relation.RangeSubselect) ? relation.RangeSubselect : isObject(relation.RangeFunction) ? relation.RangeFunction : undefined
  if (inner === undefined) return []
  const alias = isObject(inner.alias) ? inner.alias.aliasname : undefined
  if (typeof alias === 'string') return [alias]
  return typeof inner.relname === 'string' ? [inner.relname] : []
}

/** The qualifiers of every column an expression references (`t` of `t.id`); `undefined` when one is unqualified or it holds a subquery. */
function qualifiers(node: unknown): Set<string> | undefined {
  const out = new Set<string>()
  const clean = everyNode(node, (obj) => {
    if (isObject(obj.SubLink)) return false
    if (!isObject(obj.ColumnRef)) return true
    const parts = stringsOf(obj.ColumnRef.fields)
    if (parts.length < 2) return false
    out.add(parts[parts.length - 2] ?? '')
    return 'skip'
  })
  return clean ? out : undefined
}

/**
 * Visits every parse-tree object under `node` (arrays followed), depth first: `check` returns
 * false to stop the walk (then the result is false), `'skip'` to leave the object's children out,
 * true to go on.
 */
function everyNode(node: unknown, check: (obj: Obj) => boolean | 'skip'): boolean {
  if (typeof node !== 'object' || node === null) return true
  if (Array.isArray(node)) return node.every((item) => everyNode(item, check))
  const verdict = check(node as Obj)
  if (verdict === false) return false
  if (verdict === 'skip') return true
  for (const key in node) if (!everyNode((node as Obj)[key], check)) return false
  return true
}

/** The names a column of the written table may be qualified with: its alias, else its name and schema-qualified name. */
function targetNames(relation: Obj): readonly string[] {
  const alias = isObject(relation.alias) ? relation.alias.aliasname : undefined
  if (typeof alias === 'string') return [alias]
  return typeof relation.relname === 'string' ? [relation.relname] : []
}

/** Numbers past which a bound holds for every value of an integer id column. */
const OPEN_UPPER = 2_147_483_647

/**
 * `strict`: inside an OR, where branches may complement each other (`flag OR NOT flag`,
 * `id < 5 OR id >= 5`, `b = true OR b = false OR b IS NULL`), only equality with a value that is
 * not a boolean, `IN`, `LIKE` and `IS NULL` count: those cannot add up to every row by themselves.
 */
function restricts(node: unknown, target: readonly string[] | undefined, strict = false): boolean {
  if (!isObject(node)) return false
  const bool = node.BoolExpr
  if (isObject(bool) && Array.isArray(bool.args)) {
    if (bool.boolop === 'AND_EXPR') return bool.args.some((arg) => restricts(arg, target, strict))
    if (bool.boolop === 'OR_EXPR') return bool.args.length > 0 && bool.args.every((arg) => restricts(arg, target, true))
    // NOT of a comparison keeps nearly every row (`NOT id = 1`); only `NOT flag` is read as a limit.
    return !strict && bool.boolop === 'NOT_EXPR' && bool.args.length === 1 && isColumn(bool.args[0], target)
  }
  if (isObject(node.CurrentOfExpr)) return true
  if (isColumn(node, target)) return !strict
  const nullTest = node.NullTest
  if (isObject(nullTest)) return nullTest.nulltesttype === 'IS_NULL' && onColumn(nullTest.arg, target)
  const boolTest = node.BooleanTest
  if (isObject(boolTest)) {
    const kind = boolTest.booltesttype
    return !strict && (kind === 'IS_TRUE' || kind === 'IS_FALSE' || kind === 'IS_UNKNOWN') && onColumn(boolTest.arg, target)
  }
  const sub = node.SubLink
  if (isObject(sub)) {
    // `col IN (SELECT …)` (no operator) or `col = ANY (SELECT …)`, limited by the subquery's own WHERE.
    const op = stringsOf(sub.operName)
    if (sub.subLinkType !== 'ANY_SUBLINK' || !(op.length === 0 || (op.length === 1 && op[0] === '='))) return false
    const select = isObject(sub.subselect) && isObject(sub.subselect.SelectStmt) ? sub.subselect.SelectStmt : undefined
    return onColumn(sub.testexpr, target) && select !== undefined && selectsOwnColumn(select) && restricts(select.whereClause, undefined)
  }
  const expr = node.A_Expr
  if (isObject(expr)) return comparisonRestricts(expr, target, strict)
  return false
}

/**
 * Whether a subquery returns one column qualified by a relation of its own FROM (`SELECT b.user_id
 * FROM bans b …`). An unqualified `id` is the outer row's own id when the subquery's table has no
 * such column, and `id IN (SELECT id FROM flags WHERE k = 1)` then keeps every row.
 */
function selectsOwnColumn(select: Obj): boolean {
  const targets = select.targetList
  if (!Array.isArray(targets) || targets.length !== 1) return false
  const target = isObject(targets[0]) && isObject(targets[0].ResTarget) ? targets[0].ResTarget.val : undefined
  const fields = isObject(target) && isObject(target.ColumnRef) ? stringsOf(target.ColumnRef.fields) : []
  if (fields.length < 2 || fields.includes('')) return false
  const names: string[] = []
  const collect = (node: unknown, depth: number): void => {
    if (!isObject(node) || depth > 50) return
    for (const kind of ['RangeVar', 'RangeSubselect', 'RangeFunction'] as const) {
      const range = node[kind]
      if (!isObject(range)) continue
      const alias = isObject(range.alias) && typeof range.alias.aliasname === 'string' ? range.alias.aliasname : range.relname
      if (typeof alias === 'string') names.push(alias)
    }
    if (isObject(node.JoinExpr)) {
      collect(node.JoinExpr.larg, depth + 1)
      collect(node.JoinExpr.rarg, depth + 1)
    }
  }
  for (const item of Array.isArray(select.fromClause) ? select.fromClause : []) collect(item, 0)
  return names.includes(fields[fields.length - 2] ?? '')
}

function comparisonRestricts(expr: Obj, target: readonly string[] | undefined, strict: boolean): boolean {
  const op = stringsOf(expr.name)
  const name = op.length === 2 && op[0] === 'pg_catalog' ? op[1] : op.length === 1 ? op[0] : undefined
  const { lexpr, rexpr } = expr
  switch (expr.kind) {
    case 'AEXPR_OP':
      if (name === '=') return columnAgainstValue(lexpr, rexpr, target, strict)
      if (name === '<' || name === '<=' || name === '>' || name === '>=') return !strict && rangeRestricts(name, lexpr, rexpr, target)
      return false
    case 'AEXPR_NOT_DISTINCT':
      return columnAgainstValue(lexpr, rexpr, target, strict)
    case 'AEXPR_OP_ANY':
      return name === '=' && onColumn(lexpr, target) && isValue(rexpr)
    case 'AEXPR_IN':
      return name === '=' && onColumn(lexpr, target) && isObject(rexpr) && isObject(rexpr.List) && Array.isArray(rexpr.List.items) && rexpr.List.items.every(isValue)
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
      return (name === '~~' || name === '~~*') && onColumn(lexpr, target) && patternHasLiteral(rexpr)
    case 'AEXPR_BETWEEN': {
      if (strict) return false
      const bounds = isObject(rexpr) && isObject(rexpr.List) && Array.isArray(rexpr.List.items) ? rexpr.List.items : []
      if (!onColumn(lexpr, target) || bounds.length !== 2 || !bounds.every(isValue)) return false
      const [low, high] = bounds.map(numberOf)
      return !(low !== undefined && high !== undefined && low <= 1 && high >= OPEN_UPPER)
    }
    default:
      return false
  }
}

/** `col = v` either way round; `strict`: not with a boolean (`b = true OR b = false` is every row but NULLs). */
function columnAgainstValue(left: unknown, right: unknown, target: readonly string[] | undefined, strict: boolean): boolean {
  const against = (value: unknown) => isValue(value) && !(strict && isBoolean(value))
  return (onColumn(left, target) && against(right)) || (onColumn(right, target) && against(left))
}

/** A boolean constant, also cast (`'t'::bool`, `true`). */
function isBoolean(node: unknown): boolean {
  if (!isObject(node)) return false
  const cast = node.TypeCast
  if (isObject(cast)) return isBoolean(cast.arg) || (isObject(cast.typeName) && stringsOf(cast.typeName.names).at(-1) === 'bool')
  return isObject(node.A_Const) && isObject(node.A_Const.boolval)
}

/** `col > v` and the like, unless the bound is one every id meets (`id > 0`, `id < 2147483647`). */
function rangeRestricts(op: string, left: unknown, right: unknown, target: readonly string[] | undefined): boolean {
  let lower: boolean
  let bound: unknown
  if (onColumn(left, target) && isValue(right)) {
    lower = op === '>' || op === '>='
    bound = right
  } else if (onColumn(right, target) && isValue(left)) {
    lower = op === '<' || op === '<='
    bound = left
  } else {
    return false
  }
  const n = numberOf(bound)
  if (n === undefined) {
    // Text bounds every value meets: `name >= ''`, `created > '-infinity'`, `created < 'infinity'`.
    const text = constantText(bound)?.trim().toLowerCase()
    return text === undefined || (lower ? text !== '' && text !== '-infinity' : text !== 'infinity' && text !== '+infinity')
  }
  // The least (greatest) integer the bound admits: `id > 0.5` and `id >= 1` keep every id from 1.
  const strictly = op === '>' || op === '<'
  return lower ? (strictly ? Math.floor(n) + 1 : Math.ceil(n)) > 1 : (strictly ? Math.ceil(n) - 1 : Math.floor(n)) < OPEN_UPPER - 1
}

/** A LIKE pattern with at least one character that is not a wildcard (`'%'`, `'_%'` match everything non-empty). */
function patternHasLiteral(pattern: unknown): boolean {
  const text = constantText(pattern)
  return text !== undefined && /[^%_]/.test(text)
}

function constantText(node: unknown): string | undefined {
  if (!isObject(node)) return undefined
  if (isObject(node.TypeCast)) return constantText(node.TypeCast.arg)
  const c = node.A_Const
  return isObject(c) && isObject(c.sval) && typeof c.sval.sval === 'string' ? c.sval.sval : undefined
}

/** The value of a numeric constant (also `-1`, `'5'::int`), `undefined` for anything else. */
function numberOf(node: unknown): number | undefined {
  if (!isObject(node)) return undefined
  if (isObject(node.TypeCast)) return numberOf(node.TypeCast.arg)
  const minus = node.A_Expr
  if (isObject(minus) && minus.lexpr === undefined && stringsOf(minus.name).join() === '-') {
    const n = numberOf(minus.rexpr)
    return n === undefined ? undefined : -n
  }
  const c = node.A_Const
  if (!isObject(c)) return undefined
  if (isObject(c.ival)) return typeof c.ival.ival === 'number' ? c.ival.ival : 0
  if (isObject(c.fval)) return Number(c.fval.fval)
  if (isObject(c.sval)) {
    const n = Number(String(c.sval.sval).trim())
    return String(c.sval.sval).trim() !== '' && Number.isFinite(n) ? n : undefined
  }
  return undefined
}

/** A column of the row alone (`flag`, `t.flag`); with a target list, one qualified by it. */
function isColumn(node: unknown, target: readonly string[] | undefined): boolean {
  if (!isObject(node) || !isObject(node.ColumnRef)) return false
  const fields = node.ColumnRef.fields
  if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => !isObject(f) || !isObject(f.String))) return false
  if (target === undefined) return true
  const parts = stringsOf(fields)
  return parts.length >= 2 && target.includes(parts[parts.length - 2] ?? '')
}

/** Functions of one column that keep its values apart: `lower(email) = 'x'` still limits rows. */
const SEPARATING_FUNCTIONS: ReadonlySet<string> = new Set(['lower', 'upper', 'btrim', 'ltrim', 'rtrim'])

/**
 * The row side of an atom: a column (`email`, `u.email`), a cast of one (not to boolean:
 * `id::bool = true` is every id but 0), `lower(email)` and the like, or a row of them (`(a, b)`).
 * No other expression of the row: `id * 0 = 0`, `nullif(id, id) IS NULL`, `left(name, 0) = ''`,
 * `(id IS NULL) = false`, `greatest(id, 1) >= 1` hold for every row. With a target list, its
 * columns are qualified by it.
 */
function onColumn(node: unknown, target: readonly string[] | undefined, depth = 0): boolean {
  if (!isObject(node) || depth > 50) return false
  if (isColumn(node, target)) return true
  const cast = node.TypeCast
  if (isObject(cast)) {
    const type = isObject(cast.typeName) ? stringsOf(cast.typeName.names).at(-1) : undefined
    return type !== 'bool' && type !== 'boolean' && onColumn(cast.arg, target, depth + 1)
  }
  const call = node.FuncCall
  if (isObject(call)) {
    const name = stringsOf(call.funcname)
    const plain = name.length === 2 && name[0] === 'pg_catalog' ? name[1] : name.length === 1 ? name[0] : undefined
    const plainCall = call.agg_star !== true && call.agg_distinct !== true && call.func_variadic !== true && call.over === undefined && call.agg_filter === undefined
    return plainCall && SEPARATING_FUNCTIONS.has(plain ?? '') && Array.isArray(call.args) && call.args.length === 1 && onColumn(call.args[0], target, depth + 1)
  }
  const row = node.RowExpr
  if (isObject(row)) return Array.isArray(row.args) && row.args.length > 0 && row.args.every((arg) => onColumn(arg, target, depth + 1))
  return false
}

/** A value not taken from the row: constants, parameters, and expressions of them (`now() - interval '1 day'`), no subqueries. */
function isValue(node: unknown): boolean {
  return isObject(node) && everyNode(node, (obj) => !isObject(obj.ColumnRef) && !isObject(obj.SubLink))
}

const TRUE_STRINGS: ReadonlySet<string> = new Set(['t', 'true', 'y', 'yes', 'on', '1'])
const REFLEXIVE_OPERATORS: ReadonlySet<string> = new Set(['=', '<=', '>='])

function alwaysTrue(node: unknown): boolean {
  if (!isObject(node)) return false
  const constant = node.A_Const
  if (isObject(constant)) return constantIsTrue(constant)
  const cast = node.TypeCast
  if (isObject(cast)) return isObject(cast.arg) && isObject(cast.arg.A_Const) && constantIsTrue(cast.arg.A_Const)
  const bool = node.BoolExpr
  if (isObject(bool) && Array.isArray(bool.args)) {
    if (bool.boolop === 'OR_EXPR') return bool.args.some(alwaysTrue)
    if (bool.boolop === 'AND_EXPR') return bool.args.every(alwaysTrue)
    if (bool.boolop === 'NOT_EXPR') return bool.args.length === 1 && alwaysFalse(bool.args[0])
    return false
  }
  const expr = node.A_Expr
  if (isObject(expr) && expr.kind === 'AEXPR_OP') {
    const op = stringsOf(expr.name)
    if (op.length !== 1) return false
    // `x = x` holds for every row where x is not null: as good as no WHERE for an approver.
    if (REFLEXIVE_OPERATORS.has(op[0] ?? '') && sameTree(expr.lexpr, expr.rexpr)) return true
    // Two numbers compared (`1 < 2`, `2 = 2`).
    const l = numberOf(expr.lexpr)
    const r = numberOf(expr.rexpr)
    if (l === undefined || r === undefined) return false
    return compare(op[0] ?? '', l, r)
  }
  return false
}

function compare(op: string, l: number, r: number): boolean {
  switch (op) {
    case '=': return l === r
    case '<>': case '!=': return l !== r
    case '<': return l < r
    case '<=': return l <= r
    case '>': return l > r
    case '>=': return l >= r
    default: return false
  }
}

function alwaysFalse(node: unknown): boolean {
  return isObject(node) && isObject(node.A_Const) && isObject(node.A_Const.boolval) && node.A_Const.boolval.boolval !== true
}

function constantIsTrue(constant: Readonly<Record<string, unknown>>): boolean {
  if (isObject(constant.boolval)) return constant.boolval.boolval === true
  if (isObject(constant.sval)) return TRUE_STRINGS.has(String(constant.sval.sval ?? '').trim().toLowerCase())
  if (isObject(constant.ival)) return typeof constant.ival.ival === 'number' && constant.ival.ival !== 0
  return false
}

/** Structural equality ignoring source positions, so `a.id = a.id` matches itself. */
function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ra = a as Readonly<Record<string, unknown>>
  const rb = b as Readonly<Record<string, unknown>>
  let count = 0
  for (const key in ra) {
    if (key === 'location') continue
    count++
    if (!(key in rb) || !sameTree(ra[key], rb[key])) return false
  }
  for (const key in rb) if (key !== 'location') count--
  return count === 0
}
