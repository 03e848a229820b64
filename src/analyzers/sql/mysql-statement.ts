import type { SqlStatementFacts, SqlStatementType } from './facts.js'
import { isReadOnlyMysqlFunction } from './mysql-read-only-functions.js'
import { mysqlLimitsRows } from './mysql-where.js'

type Obj = Readonly<Record<string, unknown>>

/** One statement of sqlparser-rs's MySQL AST, classified. */
export interface ClassifiedMysqlStatement {
  readonly facts: SqlStatementFacts
  readonly ddl: boolean
  readonly dcl: boolean
  /** Why the statement is not read-only, for highlights (empty when it is). */
  readonly risks: readonly string[]
}

/** Statements that read and change nothing when nothing inside them does (checked by the walk). */
const READING: ReadonlySet<string> = new Set(['Query', 'ExplainTable'])

/** Node keys that are a write wherever they appear in a tree. */
const NESTED_WRITES: ReadonlySet<string> = new Set(['Insert', 'Update', 'Delete', 'Merge'])

/** `CreateUser` → `user`, `AlterTable` → `table`, `DropFunction` → `function`. */
function objectOf(variant: string, prefix: string): string {
  const rest = variant.slice(prefix.length)
  const words = rest.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  // MySQL's SCHEMA is its DATABASE.
  return words === 'schema' ? 'database' : words
}

const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A name as written, `db.table`: parts lower-cased (MySQL names are compared without case on most systems, and quoting does not change that). */
export function mysqlName(parts: unknown): string {
  if (!Array.isArray(parts)) return ''
  return parts
    .map((part) => {
      const ident = isObj(part) && isObj(part['Identifier']) ? part['Identifier'] : part
      return isObj(ident) && typeof ident['value'] === 'string' ? ident['value'].toLowerCase() : ''
    })
    .join('.')
}

/** Whether a function name is one unquoted, unqualified identifier. */
function plainName(parts: unknown): string | undefined {
  if (!Array.isArray(parts) || parts.length !== 1) return undefined
  const part = parts[0]
  const ident = isObj(part) && isObj(part['Identifier']) ? part['Identifier'] : undefined
  if (!ident || ident['quote_style'] !== undefined || typeof ident['value'] !== 'string') return undefined
  return ident['value'].toLowerCase()
}

interface Walk {
  tables: string[]
  functions: string[]
  hazards: string[]
}

/** Collects tables, functions and whatever makes a tree not read-only. */
function walk(node: unknown, out: Walk, depth = 0): void {
  if (depth > 500) throw new Error('statement nested too deeply')
  if (Array.isArray(node)) {
    for (const item of node) walk(item, out, depth + 1)
    return
  }
  if (!isObj(node)) return
  for (const [key, value] of Object.entries(node)) {
    if (key === 'span') continue
    if (key === 'Table' && isObj(value) && Array.isArray(value['name'])) add(out.tables, mysqlName(value['name']))
    else if (key === 'TableName' && Array.isArray(value)) add(out.tables, mysqlName(value))
    if (key === 'Function' && isObj(value)) {
      const name = mysqlName(value['name'])
      add(out.functions, name)
      const plain = plainName(value['name'])
      if (plain === undefined || !isReadOnlyMysqlFunction(plain)) add(out.hazards, `calls ${name}`)
    }
    if (NESTED_WRITES.has(key) && isObj(value)) add(out.hazards, `data change: ${key.toUpperCase()}`)
    if (key === 'op' && value === 'Assignment') add(out.hazards, 'assigns a user variable (:=)')
    if (key === 'into' && isObj(value)) add(out.hazards, 'SELECT … INTO writes a variable or file')
    if (key === 'locks' && Array.isArray(value) && value.length > 0) add(out.hazards, 'locks the rows it reads (FOR UPDATE / FOR SHARE)')
    walk(value, out, depth + 1)
  }
}

function add(list: string[], item: string): void {
  if (item !== '' && !list.includes(item)) list.push(item)
}

/** The tables a relation list (`{relation, joins}`) names. */
function relationTables(value: unknown): string[] {
  const out: Walk = { tables: [], functions: [], hazards: [] }
  walk(value, out)
  return out.tables
}

/** Aliases of the tables a relation list names: `users u` → u → users. */
function aliasesOf(value: unknown, out = new Map<string, string>(), depth = 0): Map<string, string> {
  if (depth > 200) return out
  if (Array.isArray(value)) for (const item of value) aliasesOf(item, out, depth + 1)
  else if (isObj(value)) {
    const table = value['Table']
    if (isObj(table) && Array.isArray(table['name']) && isObj(table['alias']) && isObj(table['alias']['name'])) {
      const alias = table['alias']['name']['value']
      if (typeof alias === 'string') out.set(alias.toLowerCase(), mysqlName(table['name']))
    }
    for (const [key, item] of Object.entries(value)) if (key !== 'span') aliasesOf(item, out, depth + 1)
  }
  return out
}

/**
 * The tables an UPDATE writes: with one table, that one; with several (`UPDATE a JOIN b SET a.x = …`),
 * those whose alias or name qualifies an assigned column. None when a column is unqualified (which table has it is unknown here).
 */
function assignedTables(assignments: unknown, relations: unknown, tables: readonly string[]): string[] {
  if (tables.length <= 1) return [...tables]
  const aliases = aliasesOf(relations)
  const written: string[] = []
  for (const assignment of Array.isArray(assignments) ? assignments : []) {
    const target = isObj(assignment) && isObj(assignment['target']) ? assignment['target']['ColumnName'] : undefined
    const parts = mysqlName(target).split('.')
    if (parts.length < 2) return []
    const qualifier = parts[parts.length - 2] ?? ''
    add(written, aliases.get(qualifier) ?? qualifier)
  }
  return written
}

/** The relations of a DELETE's FROM (`{WithFromKeyword: […]}` or `{WithoutKeyword: […]}`). */
function fromList(from: unknown): unknown[] {
  if (!isObj(from)) return []
  const list = from['WithFromKeyword'] ?? from['WithoutKeyword']
  return Array.isArray(list) ? list : []
}

/**
 * Whether the WHERE limits the rows written (`mysql-where.ts`). With several tables in the
 * statement, only a condition on a written table counts, named by its alias or name.
 */
function limitsRows(selection: unknown, relations: unknown, targets: readonly string[]): boolean {
  const list = Array.isArray(relations) ? relations : [relations]
  const several = list.length > 1 || list.some((r) => isObj(r) && Array.isArray(r['joins']) && r['joins'].length > 0)
  if (!several) return mysqlLimitsRows(selection)
  const written = [...targets]
  for (const [alias, table] of aliasesOf(relations)) if (targets.includes(table)) written.push(alias)
  return mysqlLimitsRows(selection, written)
}

/**
 * Classifies one statement of sqlparser-rs's MySQL AST (`{Variant: node}`). Conservative: only
 * queries, SHOW and DESCRIBE whose every call is an allow-listed built-in, with no `INTO`, no
 * locking clause, no `:=` and no write anywhere inside, are read-only.
 */
export function classifyMysqlStatement(statement: unknown): ClassifiedMysqlStatement {
  if (!isObj(statement)) throw new Error('not a statement')
  const variant = Object.keys(statement)[0] ?? ''
  const body = statement[variant]
  const node: Obj = isObj(body) ? body : {}
  const seen: Walk = { tables: [], functions: [], hazards: [] }
  walk(body, seen)

  let type: SqlStatementType = 'other'
  let command = variant.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()
  let object = ''
  let targets: string[] = []
  let hasWhere = false
  let ddl = false
  let dcl = false
  let reading = READING.has(variant) || variant.startsWith('Show')

  switch (variant) {
    case 'Query': {
      // WITH c AS (…) DELETE …: what happens to the data is the DELETE.
      const queryBody = isObj(node['body']) ? node['body'] : {}
      const inner = Object.keys(queryBody)[0] ?? ''
      if (NESTED_WRITES.has(inner)) {
        // The body holds the whole statement (`{Delete: {Delete: …}}`).
        const write = classifyMysqlStatement(queryBody[inner])
        type = write.facts.type
        command = write.facts.command
        targets = [...write.facts.targets]
        hasWhere = write.facts.has_where
        break
      }
      type = 'select'
      command = seen.hazards.some((h) => h.startsWith('SELECT … INTO')) ? 'SELECT INTO' : 'SELECT'
      break
    }
    case 'Insert': {
      type = 'insert'
      command = node['replace_into'] === true ? 'REPLACE' : 'INSERT'
      const table = node['table']
      targets = isObj(table) && Array.isArray(table['TableName']) ? [mysqlName(table['TableName'])] : []
      break
    }
    case 'Update':
      type = 'update'
      targets = relationTables(node['table'])
      hasWhere = limitsRows(node['selection'], node['table'], assignedTables(node['assignments'], node['table'], targets))
      break
    case 'Delete': {
      type = 'delete'
      // DELETE u FROM users u JOIN …: the tables named before FROM, by alias or name.
      const aliases = aliasesOf(node['from'])
      const named = Array.isArray(node['tables']) ? node['tables'].map(mysqlName).filter((n) => n !== '').map((n) => aliases.get(n) ?? n) : []
      targets = named.length > 0 ? named : relationTables(node['from'])
      hasWhere = limitsRows(node['selection'], [...fromList(node['from']), ...(Array.isArray(node['using']) ? node['using'] : [])], targets)
      break
    }
    case 'Truncate':
      type = 'truncate'
      object = 'table'
      ddl = true
      targets = Array.isArray(node['table_names']) ? node['table_names'].map((t) => mysqlName(isObj(t) ? t['name'] : undefined)) : []
      break
    case 'Drop':
      type = 'drop'
      object = typeof node['object_type'] === 'string' ? objectOf(node['object_type'], '') : ''
      command = `DROP ${object.toUpperCase()}`
      targets = Array.isArray(node['names']) ? node['names'].map(mysqlName) : []
      ddl = true
      dcl = object === 'user' || object === 'role'
      break
    case 'RenameTable':
      type = 'alter'
      object = 'table'
      command = 'RENAME TABLE'
      ddl = true
      targets = Array.isArray(body) ? body.map((r) => mysqlName(isObj(r) ? r['old_name'] : undefined)) : []
      break
    case 'Grant':
    case 'Revoke':
      type = variant === 'Grant' ? 'grant' : 'revoke'
      command = variant.toUpperCase()
      object = 'privileges'
      dcl = true
      break
    case 'Set':
      type = 'set'
      command = 'SET'
      break
    case 'Call':
      type = 'call'
      command = 'CALL'
      break
    case 'LoadData':
      type = 'copy'
      command = 'LOAD DATA'
      break
    case 'Explain': {
      const inner = classifyMysqlStatement(node['statement'])
      const analyze = node['analyze'] === true
      // EXPLAIN ANALYZE (MariaDB's ANALYZE) runs the statement.
      type = analyze ? inner.facts.type : 'other'
      command = analyze ? `EXPLAIN ANALYZE ${inner.facts.command}` : 'EXPLAIN'
      reading = !analyze && inner.facts.read_only
      targets = analyze ? [...inner.facts.targets] : []
      break
    }
    case 'ExplainTable':
      command = 'DESCRIBE'
      break
    default:
      if (variant.startsWith('Create')) {
        type = 'create'
        object = objectOf(variant, 'Create')
      } else if (variant.startsWith('Alter')) {
        type = 'alter'
        object = objectOf(variant, 'Alter')
      } else if (variant.startsWith('Drop')) {
        type = 'drop'
        object = objectOf(variant, 'Drop')
      } else if (variant.startsWith('Show')) {
        command = 'SHOW'
      }
      if (type !== 'other') {
        command = `${type.toUpperCase()} ${object.toUpperCase()}`
        dcl = object === 'user' || object === 'role'
        ddl = !dcl
        const name = node['name']
        if (Array.isArray(name)) targets = [mysqlName(name)]
        else if (isObj(name) && Array.isArray(name['name'])) targets = [mysqlName(name['name'])]
        else if (isObj(name) && Array.isArray(name['0'])) targets = [mysqlName(name['0'])]
      }
  }
  const readOnly = reading && seen.hazards.length === 0
  const risks = readOnly ? [] : seen.hazards
  return {
    facts: {
      type,
      command,
      object,
      targets: targets.filter((t) => t !== ''),
      tables: seen.tables,
      has_where: hasWhere,
      returning: node['returning'] !== undefined && node['returning'] !== null,
      read_only: readOnly,
      functions: seen.functions,
      estimated_rows: -1,
    },
    ddl,
    dcl,
    risks,
  }
}
