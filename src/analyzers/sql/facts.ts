/** Statement types of `sql.statements[].type` (docs/facts.md). */
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
   * Tells the many `other` statements apart. (Beyond the minimum facts.)
   */
  readonly command: string
  /** What kind of object a DDL/DCL statement acts on: `table`, `database`, `schema`, `role`, `index`, `function`, `extension`, `view`, `sequence`… `""` when none. */
  readonly object: string
  /**
   * Names of what the statement changes: the tables an INSERT/UPDATE/DELETE/MERGE/COPY FROM/TRUNCATE
   * writes (also when hidden in a CTE), and the objects a DDL/DCL statement creates, alters or
   * drops (`DROP DATABASE prod` → `["prod"]`; `GRANT admin TO bob` → `["admin"]`; `GRANT … ON ALL
   * TABLES IN SCHEMA s` → `["s.*"]`), the setting a SET changes, the server file a COPY TO writes.
   * Written like `tables`. `[]` for statements that change nothing. (Beyond the minimum facts.)
   */
  readonly targets: readonly string[]
  /** Tables and views the statement reads or writes (including in CTEs and subqueries), schema-qualified when written so, lower-cased unless quoted. */
  readonly tables: readonly string[]
  /**
   * For update/delete/merge: whether a WHERE clause (merge: its join condition) clearly limits
   * the rows. Read conservatively (see `statementLimitsRows`): a condition that is always true or
   * not clearly restricting (`WHERE true`, `1 < 2`, `id IS NOT NULL`, `EXISTS (SELECT 1)`,
   * `id IN (SELECT id FROM users)`, `id <> 0`, `id > 0`) does not count, and every
   * update/delete/merge in the statement, including those in CTEs, must have one. `false` for
   * other types. `estimated_rows` tells how many rows a scoped write still reaches.
   */
  readonly has_where: boolean
  /** Whether an INSERT/UPDATE/DELETE/MERGE in the statement has a RETURNING clause. */
  readonly returning: boolean
  /** Whether this statement provably changes nothing. */
  readonly read_only: boolean
  /** Functions called anywhere in the statement, lower-cased unless quoted, schema-qualified when written so except for `pg_catalog.`, which is dropped because it names the same built-in. */
  readonly functions: readonly string[]
  /**
   * Rows the statement touches as the target's planner estimates them (`EXPLAIN`, never `ANALYZE`,
   * in a READ ONLY transaction with a 2 s timeout): for INSERT/UPDATE/DELETE/MERGE the rows fed to
   * the writes (CTE writes summed), for SELECT the rows returned. The blast radius shown to
   * approvers (`DELETE on users without WHERE (~12,000 rows)`). `-1` when unknown: no catalog,
   * not a SELECT/INSERT/UPDATE/DELETE/MERGE, parameters, a call planning could run that is not
   * known harmless, or EXPLAIN failed.
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
  /** Union of the statements' functions, in first-seen order. (Beyond the minimum facts.) */
  readonly functions: readonly string[]
  /** Number of top-level statements. */
  readonly count: number
  /** The parser's message when the input cannot be read in the target's dialect (PostgreSQL, or MySQL for a `mysql` target); `""` otherwise. */
  readonly parse_error: string
  /**
   * True when the functions, operators, casts and views the statements use were resolved in the
   * target's own catalog (a `postgres` connector; read with its credentials and the executing
   * role's `search_path`, refreshed every `catalog_refresh`). A call, operator or cast that may
   * resolve to something of the database's own, a view, row-level security policy or domain
   * check that calls something not known harmless, and a relation the catalog does not hold make
   * a statement not read-only. `false` when no catalog could be read: then names alone decide.
   */
  readonly catalog_checked: boolean
}
