import type { SqlStatementFacts } from './facts.js'
import { isObject, namesOf, objectTypeName, qualifiedName, rangeVarName } from './names.js'
import { explainAnalyzes, plainStatementIsReadOnly, walkIsClean } from './read-only.js'
import { kindOf, type StatementKind } from './statement-kinds.js'
import { callRisks, list, statementRisks, type Risk } from './statement-risks.js'
import { WRITE_STATEMENTS, hasReturning, walkTree, type NestedWrite, type TreeWalk } from './tree-walker.js'
import { statementLimitsRows } from './where-clause.js'

type Obj = Readonly<Record<string, unknown>>

/** One top-level statement, classified. */
export interface ClassifiedStatement {
  readonly facts: SqlStatementFacts
  readonly ddl: boolean
  readonly dcl: boolean
  readonly risks: readonly Risk[]
  /** It calls a function or operator outside the allow-lists (which even planning may run). */
  readonly unsafeCalls: boolean
}

/** What earlier statements of the same input declared, so EXECUTE and FETCH can be judged. */
export interface Session {
  readonly prepared: Map<string, ClassifiedStatement>
  /** Cursor name → whether its query is read-only. */
  readonly cursors: Map<string, boolean>
}

/** Statements that run the queries they contain now (a CREATE FUNCTION or RULE body runs later). */
const RUNS_NESTED: ReadonlySet<string> = new Set([
  'SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt', 'CreateTableAsStmt',
])

/** DROP of these also lists the dropped names under `tables`. */
const TABLE_LIKE_OBJECTS: ReadonlySet<string> = new Set(['table', 'view', 'materialized view', 'foreign table'])

/** Splits a `{SelectStmt: {…}}` node into its name and body. */
export function unwrapStatement(node: unknown): [string, Obj] | undefined {
  if (!isObject(node)) return undefined
  for (const key in node) {
    const body = node[key]
    return isObject(body) ? [key, body] : undefined
  }
  return undefined
}

/**
 * Classifies one top-level statement (`RawStmt.stmt`). Statements that wrap another one
 * (EXPLAIN, PREPARE, DECLARE CURSOR) are judged by what they wrap; EXECUTE and FETCH by what the
 * session declared earlier in the same input, and as not read-only when that is unknown.
 */
export function classifyStatement(stmt: unknown, session: Session): ClassifiedStatement {
  const unwrapped = unwrapStatement(stmt)
  if (unwrapped === undefined) return classifyPlain('UnknownStmt', {})
  const [name, node] = unwrapped
  switch (name) {
    case 'ExplainStmt':
      return classifyExplain(node, session)
    case 'PrepareStmt':
      return rename(classifyStatement(node.query, session), 'PREPARE')
    case 'DeclareCursorStmt':
      return rename(classifyStatement(node.query, session), 'DECLARE CURSOR')
    case 'ExecuteStmt':
      return classifyExecute(node, session)
    case 'FetchStmt':
      return classifyFetch(node, session)
    default:
      return classifyPlain(name, node)
  }
}

function rename(inner: ClassifiedStatement, command: string): ClassifiedStatement {
  return { ...inner, facts: { ...inner.facts, command } }
}

function classifyExplain(node: Obj, session: Session): ClassifiedStatement {
  const inner = classifyStatement(node.query, session)
  const command = inner.facts.command
  if (explainAnalyzes(node.options)) {
    // EXPLAIN ANALYZE runs the statement: it is that statement.
    const runs: Risk = { rank: 1, text: `EXPLAIN ANALYZE runs the ${command}` }
    const risks = inner.facts.read_only ? inner.risks : [...inner.risks, runs]
    return { ...inner, risks, facts: { ...inner.facts, command: `EXPLAIN ANALYZE ${command}` } }
  }
  // Plain EXPLAIN only plans, but planning folds constant calls, so unknown functions still count.
  const unknownExecute = command === 'EXECUTE' && !inner.facts.read_only
  const risks: Risk[] = inner.risks.filter((risk) => risk.call === true)
  if (unknownExecute) risks.push({ rank: 2, text: 'EXPLAIN EXECUTE plans a prepared statement not shown here' })
  return {
    facts: {
      ...emptyFacts('other', 'EXPLAIN'),
      tables: inner.facts.tables,
      functions: inner.facts.functions,
      read_only: !inner.unsafeCalls && !unknownExecute,
    },
    ddl: false,
    dcl: false,
    risks,
    unsafeCalls: inner.unsafeCalls,
  }
}

function classifyExecute(node: Obj, session: Session): ClassifiedStatement {
  const walk = walkTree(node) // the parameters may call functions too
  const name = String(node.name ?? '')
  const prepared = session.prepared.get(name)
  if (prepared === undefined) {
    return {
      facts: { ...emptyFacts('other', 'EXECUTE'), tables: walk.tables, functions: walk.functions },
      ddl: false,
      dcl: false,
      risks: [{ rank: 1, text: `EXECUTE ${name} runs a prepared statement not shown here` }, ...callRisks(walk)],
      unsafeCalls: walk.unsafeFunctions.length > 0 || walk.unsafeOperators.length > 0,
    }
  }
  const functions = [...prepared.facts.functions]
  for (const f of walk.functions) if (!functions.includes(f)) functions.push(f)
  return {
    ...prepared,
    facts: { ...prepared.facts, command: 'EXECUTE', functions, read_only: prepared.facts.read_only && walkIsClean(walk) },
    risks: [...prepared.risks, ...callRisks(walk)],
    unsafeCalls: prepared.unsafeCalls || walk.unsafeFunctions.length > 0 || walk.unsafeOperators.length > 0,
  }
}

function classifyFetch(node: Obj, session: Session): ClassifiedStatement {
  const command = node.ismove === true ? 'MOVE' : 'FETCH'
  const cursor = String(node.portalname ?? '')
  const known = session.cursors.get(cursor)
  const risks: Risk[] = known === undefined ? [{ rank: 2, text: `${command} from cursor ${cursor}, declared elsewhere` }] : []
  return { facts: { ...emptyFacts('other', command), read_only: known === true }, ddl: false, dcl: false, risks, unsafeCalls: false }
}

function classifyPlain(name: string, node: Obj): ClassifiedStatement {
  const kind = kindOf(name)
  const walk = walkTree(node)
  const writes: readonly NestedWrite[] = RUNS_NESTED.has(name) ? walk.writes : []
  let type = kind.type
  let object = kind.object ?? objectTypeName(kind.objectField === undefined ? undefined : node[kind.objectField])
  let ddl = kind.ddl === true
  const targets = targetsOf(node, kind)
  const tables = [...walk.tables]

  const ownWrite = Object.hasOwn(WRITE_STATEMENTS, name)
  if (ownWrite && isObject(node.relation)) {
    const target = rangeVarName(node.relation)
    targets.unshift(target)
    // The written table leads the list even when CTEs were read first.
    const at = tables.indexOf(target)
    if (at >= 0) tables.splice(at, 1)
    tables.unshift(target)
  }
  for (const write of writes) if (write.table !== '' && !targets.includes(write.table)) targets.push(write.table)
  if (type === 'drop' && TABLE_LIKE_OBJECTS.has(object)) for (const t of targets) if (!tables.includes(t)) tables.push(t)
  if (name === 'CopyStmt') copyTargets(node, targets)

  if (name === 'SelectStmt' && walk.into !== '') {
    // SELECT … INTO is CREATE TABLE AS in other words.
    type = 'create'
    object = 'table'
    ddl = true
    targets.push(walk.into)
  } else if (name === 'SelectStmt' && writes[0] !== undefined) {
    // WITH d AS (DELETE …) SELECT … deletes: say so where policies look.
    type = writes[0].type
  } else if (name === 'GrantStmt' || name === 'GrantRoleStmt') {
    type = node.is_grant === true ? 'grant' : 'revoke'
    // GRANT … ON ALL TABLES IN SCHEMA s names the schema; `s.*` says what is granted on.
    if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') for (let i = 0; i < targets.length; i++) targets[i] = `${targets[i]}.*`
  }
  if (name === 'CreateFunctionStmt' && node.is_procedure === true) object = 'procedure'

  const facts: SqlStatementFacts = {
    type,
    command: commandOf(name, node, kind, type, object, walk),
    object,
    targets,
    tables,
    has_where: hasWhere(type, ownWrite ? node : undefined, writes),
    returning: (ownWrite && hasReturning(node)) || writes.some((w) => w.returning),
    read_only: plainStatementIsReadOnly(name, node, walk),
    functions: walk.functions,
    estimated_rows: -1,
  }
  // CREATE SCHEMA may carry CREATE TABLE and GRANT elements; they count as if written alone.
  let nestedDcl = false
  for (const nested of walk.nested) {
    ddl ||= kindOf(nested).ddl === true
    nestedDcl ||= kindOf(nested).dcl === true
  }
  const dcl = kind.dcl === true || nestedDcl || (name === 'AlterTableStmt' && alterTableChangesAccess(node))
  const risks = statementRisks(name, node, facts, walk, writes)
  if (nestedDcl && kind.dcl !== true) risks.push({ rank: 1, text: `${facts.command} ${list(facts.targets)} also changes privileges` })
  return {
    facts,
    ddl,
    dcl,
    risks,
    unsafeCalls: walk.unsafeFunctions.length > 0 || walk.unsafeOperators.length > 0,
  }
}

/** Every update/delete/merge in the statement must limit its rows for the statement to count as having a WHERE. */
function hasWhere(type: string, own: Obj | undefined, writes: readonly NestedWrite[]): boolean {
  if (type !== 'update' && type !== 'delete' && type !== 'merge') return false
  if (own !== undefined && !statementLimitsRows(own, type)) return false
  return writes.every((w) => w.type === 'insert' || w.hasWhere)
}

function targetsOf(node: Obj, kind: StatementKind): string[] {
  const out: string[] = []
  for (const path of kind.targets ?? []) {
    let value: unknown = node
    for (const key of path.split('.')) value = isObject(value) ? value[key] : undefined
    // Some fields hold one qualified name as a bare list of strings (`funcname`, `defnames`…).
    if (QUALIFIED_NAME_FIELDS.has(path) && Array.isArray(value)) out.push(qualifiedName(value))
    else namesOf(value, out)
  }
  return out
}

const QUALIFIED_NAME_FIELDS: ReadonlySet<string> = new Set([
  'funcname', 'defnames', 'domainname', 'typeName', 'opclassname', 'opfamilyname', 'collname',
  'conversion_name', 'dictname', 'cfgname',
])

/** COPY FROM writes its table; COPY TO a server file writes that file. */
function copyTargets(node: Obj, targets: string[]): void {
  if (node.is_from === true && isObject(node.relation)) targets.push(rangeVarName(node.relation))
  else if (node.is_from !== true && node.is_program !== true && typeof node.filename === 'string') targets.push(node.filename)
}

const TRANSACTION_COMMANDS: Readonly<Record<string, string>> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE SAVEPOINT',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK TO SAVEPOINT',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
}

function commandOf(name: string, node: Obj, kind: StatementKind, type: string, object: string, walk: TreeWalk): string {
  switch (name) {
    case 'SelectStmt':
      return walk.into === '' ? 'SELECT' : 'SELECT INTO'
    case 'CreateTableAsStmt':
      if (node.is_select_into === true) return 'SELECT INTO'
      break
    case 'CopyStmt':
      return node.is_from === true ? 'COPY FROM' : 'COPY TO'
    case 'TransactionStmt':
      return TRANSACTION_COMMANDS[String(node.kind)] ?? 'TRANSACTION'
    case 'VariableSetStmt':
      return node.kind === 'VAR_RESET' || node.kind === 'VAR_RESET_ALL' ? 'RESET' : 'SET'
    case 'VacuumStmt':
      return node.is_vacuumcmd === true ? 'VACUUM' : 'ANALYZE'
    case 'CreateRoleStmt':
      return node.stmt_type === 'ROLESTMT_USER' ? 'CREATE USER' : node.stmt_type === 'ROLESTMT_GROUP' ? 'CREATE GROUP' : 'CREATE ROLE'
    case 'GrantStmt':
    case 'GrantRoleStmt':
      return type.toUpperCase()
  }
  return kind.command ?? `${type} ${object}`.trim().toUpperCase()
}

const ACCESS_COMMANDS: ReadonlySet<string> = new Set([
  'AT_ChangeOwner', 'AT_EnableRowSecurity', 'AT_DisableRowSecurity', 'AT_ForceRowSecurity', 'AT_NoForceRowSecurity',
])

/** ALTER TABLE … OWNER TO and the row-level-security switches change who may see what. */
function alterTableChangesAccess(node: Obj): boolean {
  if (!Array.isArray(node.cmds)) return false
  return node.cmds.some((cmd) => isObject(cmd) && isObject(cmd.AlterTableCmd) && ACCESS_COMMANDS.has(String(cmd.AlterTableCmd.subtype)))
}

/** Facts of a statement that touches nothing named, before its own details are filled in. */
export function emptyFacts(type: SqlStatementFacts['type'], command: string): SqlStatementFacts {
  return { type, command, object: '', targets: [], tables: [], has_where: false, returning: false, read_only: false, functions: [], estimated_rows: -1 }
}
