/** Statement types of `sql.statements[].type` (PRODUCT.md §4). */
export const SQL_STATEMENT_TYPES = [
  'select', 'insert', 'update', 'delete', 'merge', 'truncate', 'create', 'alter', 'drop',
  'grant', 'revoke', 'copy', 'do', 'call', 'set', 'other',
] as const
export type SqlStatementType = (typeof SQL_STATEMENT_TYPES)[number]

/** One top-level statement of the input. */
export interface SqlStatementFacts {
  readonly type: SqlStatementType
  /** What kind of object a DDL/DCL statement acts on: `table`, `database`, `schema`, `role`, `index`, `function`, `extension`, `view`, `sequence`… `""` when none. */
  readonly object: string
  /** Tables and views the statement reads or writes (including in CTEs and subqueries), schema-qualified when written so, lower-cased unless quoted. */
  readonly tables: readonly string[]
  /** For update/delete (and merge's join condition): whether a WHERE clause limits the rows. `false` for other types. */
  readonly has_where: boolean
  readonly returning: boolean
  /** Whether this statement provably changes nothing. */
  readonly read_only: boolean
  /** Functions called anywhere in the statement, lower-cased, schema-qualified when written so. */
  readonly functions: readonly string[]
}

/** Facts of a `sql` action. */
export interface SqlFacts {
  readonly statements: readonly SqlStatementFacts[]
  /** True only when every statement provably changes nothing; never for unparseable input. */
  readonly read_only: boolean
  /** Any CREATE/ALTER/DROP/TRUNCATE-like schema change. */
  readonly ddl: boolean
  /** Any GRANT/REVOKE or role/privilege change (CREATE/ALTER/DROP ROLE/USER, ALTER DEFAULT PRIVILEGES…). */
  readonly dcl: boolean
  /** Union of the statements' tables, in first-seen order. */
  readonly tables: readonly string[]
  /** Number of top-level statements. */
  readonly count: number
  /** The parser's message when the input is not valid PostgreSQL; `""` otherwise. */
  readonly parse_error: string
}
