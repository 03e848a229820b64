import { loadModule } from 'libpg-query'
import type { Analyzer, FactTypes } from '../analyzer.js'
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
 * Loads the PostgreSQL parser (WebAssembly, once per process) and returns the `sql` analyzer,
 * whose `analyze({sql})` is synchronous and never throws.
 *
 * @example
 * const sql = await loadSqlAnalyzer()
 * sql.analyze({ sql: 'WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d' }).facts.read_only // false
 */
export async function loadSqlAnalyzer(): Promise<Analyzer<SqlFacts>> {
  await loadModule()
  return {
    kind: 'sql',
    rootType: 'SqlFacts',
    types: SQL_FACT_TYPES,
    analyze: function analyzeSqlPayload(payload, context) {
      return analyzeSql(payload.sql, { catalog: context?.sqlCatalog, estimatedRows: context?.estimatedRows })
    },
  }
}
