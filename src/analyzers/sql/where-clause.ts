import { isObject, stringsOf } from './names.js'

/**
 * Whether a WHERE clause (or MERGE join condition) limits the rows at all. A missing clause
 * does not, and neither does one that is plainly always true — `WHERE true`, `WHERE 1 = 1`,
 * `WHERE id = id`, `WHERE 't'::bool OR …` — since those are the usual ways to get a bulk
 * UPDATE/DELETE past a "must have a WHERE" rule. This is a heuristic for the obvious cases, not
 * a theorem prover: a clause it cannot judge counts as limiting.
 */
export function limitsRows(clause: unknown): boolean {
  return isObject(clause) && !alwaysTrue(clause)
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
    // `x = x` holds for every row where x is not null: as good as no WHERE for an approver.
    return op.length === 1 && REFLEXIVE_OPERATORS.has(op[0] ?? '') && sameTree(expr.lexpr, expr.rexpr)
  }
  return false
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
