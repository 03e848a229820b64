export { SQL_STATEMENT_TYPES } from './facts.js'
export type { SqlFacts, SqlStatementFacts, SqlStatementType } from './facts.js'
export { SQL_FACT_TYPES, loadSqlAnalyzer } from './sql-analyzer.js'
