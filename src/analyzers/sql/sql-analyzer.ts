import { loadModule } from 'libpg-query'
import type { Analyzer, FactTypes } from '../analyzer.js'
import { analyzeMysql, loadMysqlParser } from './analyze-mysql.js'
import { analyzeSql } from './analyze-sql.js'
import type { SqlFacts } from './facts.js'

/** CEL declarations of the `sql` facts; every field of `SqlFacts` and `SqlStatementFacts`. */
export const SQL_FACT_TYPES: FactTypes = {
  SqlFacts: {
    statements: 'list<SqlStatement>',
    read_only: 'bool',
    ddl: 'bool',
    dcl: 'bool',
    tables: 'list<string>',
    functions: 'list<string>',
    count: 'int',
    parse_error: 'string',
    catalog_checked: 'bool',
  },
  SqlStatement: {
    type: 'string',
    command: 'string',
    object: 'string',
    targets: 'list<string>',
    tables: 'list<string>',
    has_where: 'bool',
    returning: 'bool',
    read_only: 'bool',
    functions: 'list<string>',
    estimated_rows: 'int',
  },
}

/**
 * Loads the PostgreSQL and MySQL parsers (WebAssembly, once per process) and returns the `sql`
 * analyzer, whose `analyze({sql}, {dialect})` is synchronous and never throws: SQL for a target
 * whose dialect is `mysql` is read with MySQL's grammar, any other with PostgreSQL's.
 *
 * @example
 * const sql = await loadSqlAnalyzer()
 * sql.analyze({ sql: 'WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d' }).facts.read_only // false
 */
export async function loadSqlAnalyzer(): Promise<Analyzer<SqlFacts>> {
  await Promise.all([loadModule(), loadMysqlParser()])
  return {
    kind: 'sql',
    rootType: 'SqlFacts',
    types: SQL_FACT_TYPES,
    analyze: function analyzeSqlPayload(payload, context) {
      return context?.dialect === 'mysql' ? analyzeMysql(payload.sql) : analyzeSql(payload.sql, { catalog: context?.sqlCatalog, estimatedRows: context?.estimatedRows })
    },
  }
}
