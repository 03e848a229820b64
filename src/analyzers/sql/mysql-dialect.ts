/**
 * Syntax MySQL and MariaDB give a meaning the PostgreSQL parser does not see: `#` starts a
 * comment, `/*! … *\/` and `/*M! … *\/` are executed, backslashes escape inside quotes, and `$$`
 * is no dollar quote. SQL for a MySQL target that contains any of them may hide a statement the
 * facts do not show, so it is never taken as understood.
 */
const MYSQL_ONLY = /#|\/\*!|\/\*M!|\\|\$\$/

/**
 * The facts of SQL bound for a MySQL or MariaDB target: as parsed, unless the text holds syntax
 * only MySQL reads, then a parse error (never read-only), whatever the PostgreSQL parser made of it.
 */
export function mysqlFacts<F extends { read_only: boolean; parse_error: string }>(sql: string, facts: F): F {
  if (!MYSQL_ONLY.test(sql)) return facts
  return { ...facts, read_only: false, parse_error: 'MySQL-only syntax (a # comment, an executable /*! */ comment, a backslash escape or $$) that the PostgreSQL parser cannot vouch for' }
}
