type Obj = Readonly<Record<string, unknown>>

const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Numbers past which a bound holds for every value of an integer id column. */
const OPEN_UPPER = 2_147_483_647

/**
 * Whether the WHERE of a MySQL UPDATE/DELETE (sqlparser-rs's MySQL AST) clearly limits the rows:
 * what `has_where` says, read as conservatively as PostgreSQL's (`where-clause.ts`) and more so,
 * because MySQL converts freely between strings, numbers and booleans (`WHERE name = 0` and
 * `WHERE name < 1` hold for every name that does not start with a digit; `WHERE id` for every id
 * but 0). A condition limits when it is, or is ANDed with, an atom that compares a bare column
 * with a value not taken from the row: `col = v` / `col <=> v` (v not 0 nor a boolean),
 * `col IN (v, …)`, `col IS NULL`, `col LIKE 'x%'` with a literal character, `col > v` /
 * `col >= v` / `col BETWEEN v AND w` with a lower bound above 1, `col IN (SELECT t.c FROM t …)`
 * (a column of its own FROM) whose own WHERE limits; an OR limits when every branch does by equality, IN, LIKE or IS NULL. Nothing
 * else counts: a column alone, NOT, IS TRUE/FALSE, `IS NOT NULL`, `<>`, upper bounds, EXISTS,
 * expressions of the row (`id * 0 = 0`), function calls. With several tables (`DELETE u FROM
 * users u JOIN …`, `UPDATE a JOIN b …`), the column must be qualified by a written table.
 */
export function mysqlLimitsRows(selection: unknown, written?: readonly string[]): boolean {
  return restricts(selection, written, false)
}

function restricts(node: unknown, written: readonly string[] | undefined, strict: boolean): boolean {
  if (!isObj(node)) return false
  if ('Nested' in node) return restricts(node['Nested'], written, strict)
  const binary = node['BinaryOp']
  if (isObj(binary)) {
    const { left, right, op } = binary
    if (op === 'And' || op === 'Xor') return op === 'And' && (restricts(left, written, strict) || restricts(right, written, strict))
    if (op === 'Or') return restricts(left, written, true) && restricts(right, written, true)
    if (op === 'Eq' || op === 'Spaceship') return columnAgainst(left, right, written) || columnAgainst(right, left, written)
    if (strict) return false
    if (op === 'Gt' || op === 'GtEq') return lowerBound(left, right, op === 'Gt', written)
    if (op === 'Lt' || op === 'LtEq') return lowerBound(right, left, op === 'Lt', written)
    return false
  }
  if ('IsNull' in node) return isColumn(node['IsNull'], written)
  const list = node['InList']
  if (isObj(list)) return list['negated'] === false && isColumn(list['expr'], written) && Array.isArray(list['list']) && list['list'].length > 0 && list['list'].every(isNarrowValue)
  const like = node['Like']
  if (isObj(like)) {
    const pattern = like['pattern']
    const text = isObj(pattern) && isObj(pattern['Value']) && isObj(pattern['Value']['value']) ? pattern['Value']['value']['SingleQuotedString'] : undefined
    return like['negated'] === false && like['any'] === false && like['escape_char'] === undefined && isColumn(like['expr'], written) && typeof text === 'string' && /[^%_\\]/.test(text)
  }
  const between = node['Between']
  if (isObj(between)) {
    if (strict || between['negated'] !== false || !isColumn(between['expr'], written) || !isValue(between['high'])) return false
    return lowerBound(between['expr'], between['low'], false, written)
  }
  const sub = node['InSubquery']
  if (isObj(sub)) {
    const query = sub['subquery']
    const body = isObj(query) && isObj(query['body']) ? query['body']['Select'] : undefined
    return sub['negated'] === false && isColumn(sub['expr'], written) && isObj(body) && selectsOwnColumn(body) && restricts(body['selection'], undefined, false)
  }
  return false
}

/**
 * Whether a subquery returns one column qualified by a table of its own FROM (`SELECT b.uid FROM
 * bans b`): an unqualified `id` is the outer row's id when the inner table has no such column.
 */
function selectsOwnColumn(select: Obj): boolean {
  const projection = select['projection']
  if (!Array.isArray(projection) || projection.length !== 1 || !isObj(projection[0])) return false
  const expr = projection[0]['UnnamedExpr'] ?? (isObj(projection[0]['ExprWithAlias']) ? projection[0]['ExprWithAlias']['expr'] : undefined)
  const parts = isObj(expr) ? expr['CompoundIdentifier'] : undefined
  if (!Array.isArray(parts) || parts.length < 2) return false
  const qualifier = parts[parts.length - 2]
  const names: string[] = []
  const collect = (relation: unknown): void => {
    const table = isObj(relation) ? relation['Table'] : undefined
    if (!isObj(table)) return
    const alias = isObj(table['alias']) && isObj(table['alias']['name']) ? table['alias']['name']['value'] : undefined
    const name = Array.isArray(table['name']) ? table['name'].at(-1) : undefined
    const own = typeof alias === 'string' ? alias : isObj(name) && isObj(name['Identifier']) ? name['Identifier']['value'] : undefined
    if (typeof own === 'string') names.push(own.toLowerCase())
  }
  for (const from of Array.isArray(select['from']) ? select['from'] : []) {
    if (!isObj(from)) continue
    collect(from['relation'])
    for (const join of Array.isArray(from['joins']) ? from['joins'] : []) if (isObj(join)) collect(join['relation'])
  }
  return isObj(qualifier) && typeof qualifier['value'] === 'string' && names.includes(qualifier['value'].toLowerCase())
}

/** `col = v` with a value that is not 0 or a boolean (MySQL reads a non-numeric string as 0). */
function columnAgainst(column: unknown, value: unknown, written: readonly string[] | undefined): boolean {
  const tuple = (n: unknown) => (isObj(n) && Array.isArray(n['Tuple']) ? n['Tuple'] : undefined)
  const columns = tuple(column)
  const values = tuple(value)
  if (columns && values) return columns.length === values.length && columns.some((c, k) => columnAgainst(c, values[k], written)) && values.every(isValue)
  return isColumn(column, written) && isNarrowValue(value)
}

/** `col > v` (`strictly`) or `col >= v`: only a bound that leaves out more than the ids 0 and 1 counts. */
function lowerBound(column: unknown, bound: unknown, strictly: boolean, written: readonly string[] | undefined): boolean {
  if (!isColumn(column, written) || !isValue(bound)) return false
  const n = numberOf(bound)
  // Not a number (`'abc'`, `now()`): MySQL may compare it as 0 or as a huge number, so it bounds nothing for sure.
  if (n === undefined) return false
  const least = strictly ? Math.floor(n) + 1 : Math.ceil(n)
  return least > 1 && least <= OPEN_UPPER
}

/** A bare column (`id`, `u.id`); with a list of written tables, one qualified by it. */
function isColumn(node: unknown, written: readonly string[] | undefined): boolean {
  if (!isObj(node)) return false
  if ('Nested' in node) return isColumn(node['Nested'], written)
  const ident = node['Identifier']
  if (isObj(ident)) return written === undefined && typeof ident['value'] === 'string' && !ident['value'].startsWith('@')
  const parts = node['CompoundIdentifier']
  if (!Array.isArray(parts) || parts.length < 2) return false
  if (written === undefined) return true
  const qualifier = parts[parts.length - 2]
  return isObj(qualifier) && typeof qualifier['value'] === 'string' && written.includes(qualifier['value'].toLowerCase())
}

/** A value that is not 0, false or true, which MySQL would match against every non-numeric string. */
function isNarrowValue(node: unknown): boolean {
  if (!isValue(node)) return false
  const n = numberOf(node)
  if (n !== undefined) return n !== 0
  return !(isObj(node) && isObj(node['Value']) && isObj(node['Value']['value']) && 'Boolean' in node['Value']['value'])
}

/** A value not taken from the row: constants, parameters, `@variables`, and calls and operators over them; no column, no subquery. */
function isValue(node: unknown): boolean {
  let clean = true
  const visit = (value: unknown, depth: number): void => {
    if (!clean || typeof value !== 'object' || value === null) return
    if (depth > 200) clean = false
    else if (Array.isArray(value)) for (const item of value) visit(item, depth + 1)
    else {
      const obj = value as Obj
      const ident = obj['Identifier']
      if (isObj(ident) && !(typeof ident['value'] === 'string' && ident['value'].startsWith('@'))) clean = false
      else if ('CompoundIdentifier' in obj || 'Subquery' in obj || 'Exists' in obj || 'InSubquery' in obj || 'Wildcard' in obj || 'QualifiedWildcard' in obj) clean = false
      else if (isObj(obj['Function'])) visit(obj['Function']['args'], depth + 1)
      else for (const [key, item] of Object.entries(obj)) if (key !== 'span') visit(item, depth + 1)
    }
  }
  visit(node, 0)
  return clean && isObj(node)
}

function textOf(node: unknown): string | undefined {
  if (!isObj(node)) return undefined
  const value = isObj(node['Value']) ? node['Value']['value'] : undefined
  if (!isObj(value)) return undefined
  const text = value['SingleQuotedString'] ?? value['DoubleQuotedString']
  return typeof text === 'string' ? text : undefined
}

/** The value of a numeric constant (also `-1`, `'5'`), `undefined` for anything else. */
function numberOf(node: unknown): number | undefined {
  if (!isObj(node)) return undefined
  if ('Nested' in node) return numberOf(node['Nested'])
  const unary = node['UnaryOp']
  if (isObj(unary) && (unary['op'] === 'Minus' || unary['op'] === 'Plus')) {
    const n = numberOf(unary['expr'])
    return n === undefined ? undefined : unary['op'] === 'Minus' ? -n : n
  }
  const value = isObj(node['Value']) ? node['Value']['value'] : undefined
  if (!isObj(value)) return undefined
  if (Array.isArray(value['Number'])) return Number(value['Number'][0])
  const text = textOf(node)
  if (text === undefined) return undefined
  // MySQL reads a string compared with a number by its leading number ('5abc' is 5, 'abc' is 0).
  const lead = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i.exec(text)
  return lead ? Number(lead[0]) : undefined
}
