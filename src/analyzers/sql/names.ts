/**
 * Turning parse-tree name nodes into the strings facts carry. The parser has already
 * lower-cased unquoted identifiers and kept quoted ones as written, so names are joined as they
 * come; only a part that would otherwise read ambiguously (it holds a `.` or `"`) is quoted.
 */

type Obj = Readonly<Record<string, unknown>>

/** A plain-object test that also narrows, for walking JSON of unknown shape. */
export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function quotePart(part: string): string {
  return part.includes('.') || part.includes('"') ? `"${part.replaceAll('"', '""')}"` : part
}

/** `[catalog.][schema.]relation` of a RangeVar node (bare, not wrapped in `{RangeVar: …}`). */
export function rangeVarName(rv: Obj): string {
  let name = quotePart(String(rv.relname ?? ''))
  if (typeof rv.schemaname === 'string' && rv.schemaname !== '') name = `${quotePart(rv.schemaname)}.${name}`
  if (typeof rv.catalogname === 'string' && rv.catalogname !== '') name = `${quotePart(rv.catalogname)}.${name}`
  return name
}

/** The strings of a list of `{String: {sval}}` nodes (a qualified name or an operator name). */
export function stringsOf(list: unknown): string[] {
  const out: string[] = []
  if (!Array.isArray(list)) return out
  for (const item of list) {
    const s = isObject(item) && isObject(item.String) ? item.String.sval : undefined
    out.push(typeof s === 'string' ? s : '')
  }
  return out
}

/**
 * A function's name from its `funcname` list, with `pg_catalog.` dropped because it names the
 * same built-in as no schema at all (`pg_catalog.lower` and `lower` must look alike to policies).
 */
export function functionName(funcname: unknown): string {
  const parts = stringsOf(funcname)
  const start = parts.length > 1 && parts[0] === 'pg_catalog' ? 1 : 0
  let name = ''
  for (let i = start; i < parts.length; i++) name += (i > start ? '.' : '') + quotePart(parts[i] ?? '')
  return name
}

/** A qualified name from a list of String nodes (`["public", "users"]` → `public.users`), as written. */
export function qualifiedName(list: unknown): string {
  return stringsOf(list).map(quotePart).join('.')
}

/** Unwraps `{RangeVar: {…}}`-style nodes: one key, upper-case first letter. */
function unwrap(node: Obj): [string, Obj] | undefined {
  for (const key in node) {
    const inner = node[key]
    const first = key.charCodeAt(0)
    return first >= 65 && first <= 90 && isObject(inner) ? [key, inner] : undefined
  }
  return undefined
}

const ROLE_SPEC_NAMES: Readonly<Record<string, string>> = {
  ROLESPEC_PUBLIC: 'public',
  ROLESPEC_CURRENT_USER: 'current_user',
  ROLESPEC_CURRENT_ROLE: 'current_role',
  ROLESPEC_SESSION_USER: 'session_user',
}

/**
 * The object names held by a DDL/DCL field, whatever node shape the grammar used for it:
 * a plain string, a RangeVar, a RoleSpec, a `String`, a `List` of strings (one qualified name),
 * a TypeName, an ObjectWithArgs, an AccessPriv, a large-object number, or a list of those (each
 * item one name: a bare list of strings is `DROP SCHEMA a, b`, not `a.b`; use `qualifiedName` for
 * fields that hold one qualified name).
 */
export function namesOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value !== '') out.push(value)
  } else if (typeof value === 'number') {
    out.push(String(value))
  } else if (Array.isArray(value)) {
    for (const item of value) namesOf(item, out)
  } else if (isObject(value)) {
    const wrapped = unwrap(value)
    const [kind, node] = wrapped ?? ['', value]
    if (kind === 'String') namesOf(node.sval, out)
    else if (kind === 'Integer') namesOf(node.ival, out)
    else if (kind === 'List') out.push(qualifiedName(node.items))
    else if (typeof node.relname === 'string') out.push(rangeVarName(node))
    else if (typeof node.roletype === 'string') namesOf(node.rolename ?? ROLE_SPEC_NAMES[node.roletype], out)
    else if (Array.isArray(node.names)) out.push(qualifiedName(node.names)) // TypeName
    else if (Array.isArray(node.objname)) out.push(qualifiedName(node.objname)) // ObjectWithArgs
    else if (typeof node.priv_name === 'string') out.push(node.priv_name) // AccessPriv
    else if (isObject(node.relation)) namesOf(node.relation, out) // VacuumRelation
  }
  return out
}

const OBJECT_TYPE_NAMES: Readonly<Record<string, string>> = {
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_FDW: 'foreign data wrapper',
  OBJECT_FOREIGN_SERVER: 'server',
  OBJECT_TABCONSTRAINT: 'constraint',
  OBJECT_DOMCONSTRAINT: 'constraint',
  OBJECT_LARGEOBJECT: 'large object',
  OBJECT_OPCLASS: 'operator class',
  OBJECT_OPFAMILY: 'operator family',
  OBJECT_AMOP: 'operator family',
  OBJECT_AMPROC: 'operator family',
  OBJECT_STATISTIC_EXT: 'statistics',
  OBJECT_TSCONFIGURATION: 'text search configuration',
  OBJECT_TSDICTIONARY: 'text search dictionary',
  OBJECT_TSPARSER: 'text search parser',
  OBJECT_TSTEMPLATE: 'text search template',
  OBJECT_DEFACL: 'default privileges',
  OBJECT_PARAMETER_ACL: 'parameter',
  OBJECT_PUBLICATION_NAMESPACE: 'publication',
  OBJECT_PUBLICATION_REL: 'publication',
}

/** `OBJECT_MATVIEW` → `materialized view`, `OBJECT_TABLE` → `table`; `""` for anything else. */
export function objectTypeName(objectType: unknown): string {
  if (typeof objectType !== 'string' || !objectType.startsWith('OBJECT_')) return ''
  return OBJECT_TYPE_NAMES[objectType] ?? objectType.slice(7).toLowerCase().replaceAll('_', ' ')
}
