import type { SqlStatementFacts } from './facts.js'
import { isObject, namesOf, objectTypeName } from './names.js'
import type { NestedWrite, TreeWalk } from './tree-walker.js'
import { limitsRows, statementLimitsRows } from './where-clause.js'

type Obj = Readonly<Record<string, unknown>>

/** One risky point of a statement, for `highlights`. */
export interface Risk {
  /** 0 = destroys or escapes the database, 1 = changes data, privileges or what runs, 2 = worth a look. */
  readonly rank: 0 | 1 | 2
  readonly text: string
  /** Comes from a function or operator call, so it holds even for a statement that is only planned. */
  readonly call?: boolean
}

/** Risks of calling functions and operators outside the allow-lists. */
export function callRisks(walk: TreeWalk): Risk[] {
  const risks: Risk[] = []
  for (const name of walk.unsafeFunctions) risks.push({ rank: 1, text: `calls ${name}`, call: true })
  for (const op of walk.unsafeOperators) risks.push({ rank: 2, text: `uses operator ${op}, which may run any function`, call: true })
  for (const type of walk.unsafeTypes) risks.push({ rank: 2, text: `converts to type ${type}, whose checks and casts may run any function` })
  return risks
}

/** Dropping these loses data wholesale; other drops rank lower. */
const DESTRUCTIVE_DROPS: ReadonlySet<string> = new Set([
  'database', 'schema', 'table', 'materialized view', 'foreign table', 'owned', 'tablespace', 'extension',
])

/** Role attributes that hand out more than ordinary privileges. */
const POWERFUL_ROLE_OPTIONS: ReadonlySet<string> = new Set(['superuser', 'createrole', 'bypassrls', 'replication', 'createdb'])

/** The risky points of one classified statement, in no particular order. */
export function statementRisks(name: string, node: Obj, facts: SqlStatementFacts, walk: TreeWalk, writes: readonly NestedWrite[]): Risk[] {
  const risks: Risk[] = []
  const target = list(facts.targets)
  if (name === 'UpdateStmt' || name === 'DeleteStmt') {
    const verb = name === 'UpdateStmt' ? 'UPDATE' : 'DELETE'
    if (!statementLimitsRows(node, name === 'UpdateStmt' ? 'update' : 'delete')) {
      const note = node.whereClause === undefined ? '' : limitsRows(node.whereClause) ? ' (its WHERE does not clearly limit the rows)' : ' (its WHERE is always true)'
      risks.push({ rank: 0, text: `${verb} without WHERE on ${facts.targets[0] ?? ''}${note}` })
    }
  } else if (name === 'MergeStmt' && !statementLimitsRows(node, 'merge')) {
    const how = limitsRows(node.joinCondition) ? 'a condition that does not tie it to its source' : 'an always-true condition'
    risks.push({ rank: 0, text: `MERGE into ${facts.targets[0] ?? ''} joins on ${how}` })
  }
  for (const write of writes) {
    const verb = write.type.toUpperCase()
    const where = write.inCte ? 'hidden in a CTE' : `inside a ${facts.command}`
    risks.push({ rank: 1, text: `data change ${where}: ${verb} on ${write.table}` })
    if ((write.type === 'update' || write.type === 'delete') && !write.hasWhere) {
      risks.push({ rank: 0, text: `${verb} without WHERE on ${write.table} (${where})` })
    }
  }

  if (facts.type === 'drop') {
    const cascade = node.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''
    risks.push({ rank: DESTRUCTIVE_DROPS.has(facts.object) ? 0 : 1, text: `${facts.command} ${target}${cascade}`.trim() })
  } else if (facts.type === 'truncate') {
    risks.push({ rank: 0, text: `TRUNCATE ${target}` })
  } else if (name === 'GrantStmt') {
    risks.push({ rank: 1, text: grantText(node, facts.type, facts.object) })
  } else if (name === 'AlterDefaultPrivilegesStmt' && isObject(node.action)) {
    const action = node.action
    const type = action.is_grant === true ? 'grant' : 'revoke'
    risks.push({ rank: 1, text: `ALTER DEFAULT PRIVILEGES: ${grantText(action, type, objectTypeName(action.objtype))}` })
  } else if (name === 'GrantRoleStmt') {
    const to = facts.type === 'grant' ? 'to' : 'from'
    risks.push({ rank: 1, text: `${facts.command} ${target} ${to} ${list(namesOf(node.grantee_roles))}` })
  } else if (name === 'CreateRoleStmt' || name === 'AlterRoleStmt') {
    const powers = roleOptions(node.options)
    const text = `${facts.command} ${target}`
    risks.push(powers === '' ? { rank: 1, text } : { rank: 0, text: `${text} with ${powers}` })
  } else if (name === 'AlterSystemStmt') {
    risks.push({ rank: 0, text: `ALTER SYSTEM changes server configuration: ${target}` })
  } else if (name === 'DoStmt') {
    risks.push({ rank: 1, text: 'runs a DO block' })
  } else if (name === 'LoadStmt') {
    risks.push({ rank: 1, text: `LOAD loads a library into the server: ${target}` })
  } else if (name === 'CopyStmt') {
    copyRisks(node, facts, risks)
  } else if (name === 'VariableSetStmt') {
    const setting = String(node.name ?? 'all settings')
    if (setting === 'role' || setting === 'session_authorization') risks.push({ rank: 1, text: `SET ${setting} changes the session's privileges` })
    else risks.push({ rank: 2, text: `${facts.command} ${setting} changes session state` })
  } else if (name === 'AlterTableStmt') {
    alterTableRisks(node, target, risks)
  } else if (isAccessStatement(name)) {
    risks.push({ rank: 1, text: `${facts.command} ${target}`.trim() })
  }

  if (walk.locking) risks.push({ rank: 2, text: 'SELECT … FOR UPDATE/SHARE locks rows' })
  if (walk.into !== '') risks.push({ rank: 2, text: `SELECT … INTO creates table ${walk.into}` })
  risks.push(...callRisks(walk))
  return risks
}

/** DCL statements without a more specific text above. */
function isAccessStatement(name: string): boolean {
  return name === 'AlterRoleSetStmt' ||
    name === 'AlterOwnerStmt' || name === 'ReassignOwnedStmt' || name === 'CreatePolicyStmt' || name === 'AlterPolicyStmt' ||
    name === 'SecLabelStmt'
}

/** `GRANT select, insert on table t to bob`, `REVOKE all privileges on all tables in schema s from public`. */
function grantText(node: Obj, type: string, object: string): string {
  const privileges = Array.isArray(node.privileges) ? list(namesOf(node.privileges)) : 'all privileges'
  const objects = list(namesOf(node.objects))
  let on = `${object} ${objects}`
  if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') on = `all ${object}s in schema ${objects}`
  else if (node.targtype === 'ACL_TARGET_DEFAULTS') on = `${object}s`
  const to = type === 'grant' ? 'to' : 'from'
  return `${type.toUpperCase()} ${privileges} on ${on} ${to} ${list(namesOf(node.grantees))}`
}

/** `SUPERUSER, BYPASSRLS` for the powerful attributes a CREATE/ALTER ROLE turns on; `""` when none. */
function roleOptions(options: unknown): string {
  if (!Array.isArray(options)) return ''
  const granted: string[] = []
  for (const option of options) {
    const def = isObject(option) && isObject(option.DefElem) ? option.DefElem : undefined
    if (def === undefined || !POWERFUL_ROLE_OPTIONS.has(String(def.defname))) continue
    const on = isObject(def.arg) && isObject(def.arg.Boolean) ? def.arg.Boolean.boolval === true : true
    if (on) granted.push(String(def.defname).toUpperCase())
  }
  return granted.join(', ')
}

function copyRisks(node: Obj, facts: SqlStatementFacts, risks: Risk[]): void {
  const file = typeof node.filename === 'string' ? node.filename : ''
  const table = list(facts.tables)
  if (node.is_program === true) risks.push({ rank: 0, text: `COPY … PROGRAM runs a server command: ${clip(file)}` })
  else if (file !== '' && node.is_from === true) risks.push({ rank: 1, text: `COPY reads server file ${clip(file)} into ${table}` })
  else if (file !== '') risks.push({ rank: 1, text: `COPY writes server file ${clip(file)}` })
  else if (node.is_from === true) risks.push({ rank: 2, text: `COPY writes rows into ${table}` })
}

function alterTableRisks(node: Obj, table: string, risks: Risk[]): void {
  if (!Array.isArray(node.cmds)) return
  for (const cmd of node.cmds) {
    const at = isObject(cmd) && isObject(cmd.AlterTableCmd) ? cmd.AlterTableCmd : undefined
    switch (at?.subtype) {
      case 'AT_DropColumn':
        risks.push({ rank: 1, text: `ALTER TABLE ${table} drops column ${String(at.name)}` })
        break
      case 'AT_ChangeOwner':
        risks.push({ rank: 1, text: `ALTER TABLE ${table} changes owner to ${list(namesOf(at.newowner))}` })
        break
      case 'AT_DisableRowSecurity':
      case 'AT_NoForceRowSecurity':
        risks.push({ rank: 1, text: `ALTER TABLE ${table} relaxes row-level security` })
        break
      case 'AT_DisableTrig':
      case 'AT_DisableTrigAll':
      case 'AT_DisableTrigUser':
        risks.push({ rank: 2, text: `ALTER TABLE ${table} disables triggers` })
        break
    }
  }
}

/** Up to three names, then a count, so one line stays short. */
export function list(names: readonly string[]): string {
  if (names.length <= 3) return names.join(', ')
  return `${names.slice(0, 3).join(', ')} +${names.length - 3} more`
}

function clip(text: string): string {
  return text.length > 60 ? `'${text.slice(0, 57)}…'` : `'${text}'`
}
