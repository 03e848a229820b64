/** Statement types of `sql.statements[].type` (PRODUCT.md §4). */
export const SQL_STATEMENT_TYPES = [
  'select', 'insert', 'update', 'delete', 'merge', 'truncate', 'create', 'alter', 'drop',
  'grant', 'revoke', 'copy', 'do', 'call', 'set', 'other',
] as const
export type SqlStatementType = (typeof SQL_STATEMENT_TYPES)[number]

/** One top-level statement of the input. */
export interface SqlStatementFacts {
  /**
   * What the statement does. A statement that only wraps another one that runs takes the
   * inner one's type: `EXPLAIN ANALYZE DELETE …` and `PREPARE p AS DELETE …` are `delete`, and
   * so is `WITH d AS (DELETE …) SELECT …`, because that is what happens to the data.
   * Plain `EXPLAIN`, `SHOW`, `BEGIN`, `VACUUM`, `LOCK`… are `other`; see `command`.
   */
  readonly type: SqlStatementType
  /**
   * The command as written, upper-case, like PostgreSQL's command tag: `SELECT`, `DROP TABLE`,
   * `SELECT INTO`, `COPY FROM`/`COPY TO`, `EXPLAIN ANALYZE DELETE`, `VACUUM`, `SHOW`, `BEGIN`…
   * Tells the many `other` statements apart. (Added beyond PRODUCT.md §4.)
   */
  readonly command: string
  /** What kind of object a DDL/DCL statement acts on: `table`, `database`, `schema`, `role`, `index`, `function`, `extension`, `view`, `sequence`… `""` when none. */
  readonly object: string
  /**
   * Names of what the statement changes: the tables an INSERT/UPDATE/DELETE/MERGE/COPY FROM/TRUNCATE
   * writes (also when hidden in a CTE), and the objects a DDL/DCL statement creates, alters or
   * drops (`DROP DATABASE prod` → `["prod"]`; `GRANT admin TO bob` → `["admin"]`; `GRANT … ON ALL
   * TABLES IN SCHEMA s` → `["s.*"]`), the setting a SET changes, the server file a COPY TO writes.
   * Written like `tables`. `[]` for statements that change nothing. (Added beyond PRODUCT.md §4.)
   */
  readonly targets: readonly string[]
  /** Tables and views the statement reads or writes (including in CTEs and subqueries), schema-qualified when written so, lower-cased unless quoted. */
  readonly tables: readonly string[]
  /**
   * For update/delete/merge: whether a WHERE clause (merge: its join condition) limits the rows.
   * A condition that is always true (`WHERE true`, `WHERE 1 = 1`) does not count, and every
   * update/delete/merge in the statement, including those in CTEs, must have one. `false` for other types.
   */
  readonly has_where: boolean
  /** Whether an INSERT/UPDATE/DELETE/MERGE in the statement has a RETURNING clause. */
  readonly returning: boolean
  /** Whether this statement provably changes nothing. */
  readonly read_only: boolean
  /** Functions called anywhere in the statement, lower-cased unless quoted, schema-qualified when written so except for `pg_catalog.`, which is dropped because it names the same built-in. */
  readonly functions: readonly string[]
  /**
   * Rows the statement touches as the target's planner estimates them (`EXPLAIN`, never `ANALYZE`):
   * the blast radius shown to approvers. `-1` when unknown (no connector, not explainable, failed).
   */
  readonly estimated_rows: number
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
  /** Union of the statements' functions, in first-seen order. (Added beyond PRODUCT.md §4.) */
  readonly functions: readonly string[]
  /** Number of top-level statements. */
  readonly count: number
  /** The parser's message when the input cannot be read in the target's dialect (PostgreSQL, or MySQL for a `mysql` target); `""` otherwise. */
  readonly parse_error: string
  /** True when the functions, operators, casts and views the statements use were resolved in the target's own catalog. */
  readonly catalog_checked: boolean
}
