import type { SqlStatementType } from './facts.js'

/** How a parse-tree statement node maps onto the facts, before anything it contains is looked at. */
export interface StatementKind {
  readonly type: SqlStatementType
  /** Fixed `object` (`table`, `role`…). */
  readonly object?: string
  /** Field holding an `OBJECT_*` value to derive `object` from, when the grammar shares one node among many kinds. */
  readonly objectField?: string
  /** Fields (dotted paths allowed) naming what the statement changes, read into `targets`. */
  readonly targets?: readonly string[]
  readonly ddl?: boolean
  readonly dcl?: boolean
  /** The command tag when it is not simply `TYPE OBJECT` (`CREATE TABLE`). */
  readonly command?: string
}

type ObjectSpec = Pick<StatementKind, 'object' | 'objectField' | 'targets' | 'command'>

function create(object: string | ObjectSpec, targets: readonly string[] = []): StatementKind {
  return { type: 'create', ddl: true, ...spec(object, targets) }
}
function alter(object: string | ObjectSpec, targets: readonly string[] = []): StatementKind {
  return { type: 'alter', ddl: true, ...spec(object, targets) }
}
function drop(object: string | ObjectSpec, targets: readonly string[] = []): StatementKind {
  return { type: 'drop', ddl: true, ...spec(object, targets) }
}
function spec(object: string | ObjectSpec, targets: readonly string[]): ObjectSpec {
  return typeof object === 'string' ? { object, targets } : object
}
function other(command: string, targets: readonly string[] = []): StatementKind {
  return { type: 'other', command, targets }
}

/**
 * Every statement node of the PostgreSQL 18 grammar that can stand at the top level, by name.
 * A node missing here (a newer grammar) is classified `other` and never read-only. Role and
 * privilege statements are `dcl` and not `ddl`: they change who may do what, not the schema;
 * ownership, row-level security policies and security labels are both.
 */
const STATEMENT_KINDS: Readonly<Record<string, StatementKind>> = {
  SelectStmt: { type: 'select', command: 'SELECT' },
  InsertStmt: { type: 'insert', command: 'INSERT' },
  UpdateStmt: { type: 'update', command: 'UPDATE' },
  DeleteStmt: { type: 'delete', command: 'DELETE' },
  MergeStmt: { type: 'merge', command: 'MERGE' },
  TruncateStmt: { type: 'truncate', object: 'table', targets: ['relations'], ddl: true, command: 'TRUNCATE' },
  CopyStmt: { type: 'copy', command: 'COPY' },
  DoStmt: { type: 'do', command: 'DO' },
  CallStmt: { type: 'call', command: 'CALL' },
  VariableSetStmt: { type: 'set', command: 'SET', targets: ['name'] },
  ConstraintsSetStmt: { type: 'set', command: 'SET CONSTRAINTS' },

  CreateSchemaStmt: create('schema', ['schemaname']),
  CreateStmt: create('table', ['relation']),
  CreateForeignTableStmt: create('foreign table', ['base.relation']),
  CreateTableAsStmt: create({ objectField: 'objtype', targets: ['into.rel'] }),
  ViewStmt: create('view', ['view']),
  IndexStmt: create('index', ['idxname']),
  CreateSeqStmt: create('sequence', ['sequence']),
  CreatedbStmt: create('database', ['dbname']),
  CreateTableSpaceStmt: create('tablespace', ['tablespacename']),
  CreateExtensionStmt: create('extension', ['extname']),
  CreateFunctionStmt: create('function', ['funcname']),
  CreateTrigStmt: create('trigger', ['trigname']),
  CreateEventTrigStmt: create('event trigger', ['trigname']),
  RuleStmt: create('rule', ['rulename']),
  DefineStmt: create({ objectField: 'kind', targets: ['defnames'] }),
  CreateDomainStmt: create('domain', ['domainname']),
  CompositeTypeStmt: create('type', ['typevar']),
  CreateEnumStmt: create('type', ['typeName']),
  CreateRangeStmt: create('type', ['typeName']),
  CreateFdwStmt: create('foreign data wrapper', ['fdwname']),
  CreateForeignServerStmt: create('server', ['servername']),
  CreateUserMappingStmt: create('user mapping', ['user']),
  ImportForeignSchemaStmt: create({ object: 'foreign table', targets: ['local_schema'], command: 'IMPORT FOREIGN SCHEMA' }),
  CreateAmStmt: create('access method', ['amname']),
  CreatePLangStmt: create('language', ['plname']),
  CreateOpClassStmt: create('operator class', ['opclassname']),
  CreateOpFamilyStmt: create('operator family', ['opfamilyname']),
  CreateStatsStmt: create('statistics', ['defnames']),
  CreateConversionStmt: create('conversion', ['conversion_name']),
  CreateCastStmt: create('cast'),
  CreateTransformStmt: create('transform'),
  CreatePublicationStmt: create('publication', ['pubname']),
  CreateSubscriptionStmt: create('subscription', ['subname']),
  CreatePolicyStmt: { ...create('policy', ['policy_name']), dcl: true },
  CreateRoleStmt: { type: 'create', object: 'role', targets: ['role'], dcl: true },

  AlterTableStmt: alter({ objectField: 'objtype', targets: ['relation'] }),
  AlterTableMoveAllStmt: alter({ objectField: 'objtype', targets: ['orig_tablespacename'] }),
  RenameStmt: alter({ objectField: 'renameType', targets: ['relation', 'object'] }),
  AlterObjectSchemaStmt: alter({ objectField: 'objectType', targets: ['relation', 'object'] }),
  AlterObjectDependsStmt: alter({ objectField: 'objectType', targets: ['relation', 'object'] }),
  AlterFunctionStmt: alter({ objectField: 'objtype', targets: ['func'] }),
  AlterSeqStmt: alter('sequence', ['sequence']),
  AlterDatabaseStmt: alter('database', ['dbname']),
  AlterDatabaseSetStmt: alter('database', ['dbname']),
  AlterDatabaseRefreshCollStmt: alter('database', ['dbname']),
  AlterSystemStmt: alter({ object: 'system', targets: ['setstmt.name'], command: 'ALTER SYSTEM' }),
  AlterTableSpaceOptionsStmt: alter('tablespace', ['tablespacename']),
  AlterExtensionStmt: alter('extension', ['extname']),
  AlterExtensionContentsStmt: alter('extension', ['extname']),
  AlterCollationStmt: alter('collation', ['collname']),
  AlterDomainStmt: alter('domain', ['typeName']),
  AlterTypeStmt: alter('type', ['typeName']),
  AlterEnumStmt: alter('type', ['typeName']),
  AlterOperatorStmt: alter('operator', ['opername']),
  AlterOpFamilyStmt: alter('operator family', ['opfamilyname']),
  AlterStatsStmt: alter('statistics', ['defnames']),
  AlterEventTrigStmt: alter('event trigger', ['trigname']),
  AlterFdwStmt: alter('foreign data wrapper', ['fdwname']),
  AlterForeignServerStmt: alter('server', ['servername']),
  AlterUserMappingStmt: alter('user mapping', ['user']),
  AlterTSDictionaryStmt: alter('text search dictionary', ['dictname']),
  AlterTSConfigurationStmt: alter('text search configuration', ['cfgname']),
  AlterPublicationStmt: alter('publication', ['pubname']),
  AlterSubscriptionStmt: alter('subscription', ['subname']),
  AlterPolicyStmt: { ...alter('policy', ['policy_name']), dcl: true },
  AlterOwnerStmt: { ...alter({ objectField: 'objectType', targets: ['relation', 'object'] }), dcl: true },
  ReassignOwnedStmt: { ...alter({ object: 'owned', targets: ['roles'], command: 'REASSIGN OWNED' }), dcl: true },
  AlterRoleStmt: { type: 'alter', object: 'role', targets: ['role'], dcl: true },
  AlterRoleSetStmt: { type: 'alter', object: 'role', targets: ['role'], dcl: true },
  AlterDefaultPrivilegesStmt: { type: 'alter', object: 'default privileges', dcl: true },

  DropStmt: drop({ objectField: 'removeType', targets: ['objects'] }),
  DropdbStmt: drop('database', ['dbname']),
  DropTableSpaceStmt: drop('tablespace', ['tablespacename']),
  DropUserMappingStmt: drop('user mapping', ['user']),
  DropSubscriptionStmt: drop('subscription', ['subname']),
  DropOwnedStmt: { ...drop({ object: 'owned', targets: ['roles'], command: 'DROP OWNED' }), dcl: true },
  DropRoleStmt: { type: 'drop', object: 'role', targets: ['roles'], dcl: true },

  // GRANT or REVOKE is decided by `is_grant`; the classifier flips the type.
  GrantStmt: { type: 'grant', objectField: 'objtype', targets: ['objects'], dcl: true },
  GrantRoleStmt: { type: 'grant', object: 'role', targets: ['granted_roles'], dcl: true },

  CommentStmt: { ...other('COMMENT', ['object']), objectField: 'objtype', ddl: true },
  SecLabelStmt: { ...other('SECURITY LABEL', ['object']), objectField: 'objtype', ddl: true, dcl: true },
  RefreshMatViewStmt: { ...other('REFRESH MATERIALIZED VIEW', ['relation']), object: 'materialized view' },
  VariableShowStmt: other('SHOW'),
  TransactionStmt: other('TRANSACTION'),
  ExplainStmt: other('EXPLAIN'),
  PrepareStmt: other('PREPARE'),
  ExecuteStmt: other('EXECUTE'),
  DeallocateStmt: other('DEALLOCATE'),
  DeclareCursorStmt: other('DECLARE CURSOR'),
  FetchStmt: other('FETCH'),
  ClosePortalStmt: other('CLOSE'),
  ListenStmt: other('LISTEN'),
  UnlistenStmt: other('UNLISTEN'),
  NotifyStmt: other('NOTIFY', ['conditionname']),
  LockStmt: other('LOCK', ['relations']),
  VacuumStmt: other('VACUUM', ['rels']),
  ClusterStmt: other('CLUSTER', ['relation']),
  ReindexStmt: other('REINDEX', ['relation', 'name']),
  CheckPointStmt: other('CHECKPOINT'),
  DiscardStmt: other('DISCARD'),
  LoadStmt: other('LOAD', ['filename']),
}

/**
 * The kind of a statement node. One nobody listed (a newer grammar) is `other`, with a command
 * made from its name (`FooBarStmt` → `FOO BAR`), and is never read-only.
 */
export function kindOf(nodeName: string): StatementKind {
  if (Object.hasOwn(STATEMENT_KINDS, nodeName)) return STATEMENT_KINDS[nodeName] as StatementKind
  const words = nodeName.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2')
  return { type: 'other', command: words.toUpperCase() }
}
