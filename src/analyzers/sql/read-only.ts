import { isObject } from './names.js'
import type { TreeWalk } from './tree-walker.js'

/**
 * Whether a walked tree holds nothing that acts: no call, operator or type outside the allow-lists, no
 * data-modifying or other non-SELECT statement inside, no row locks, no `SELECT … INTO`.
 */
export function walkIsClean(walk: TreeWalk): boolean {
  return walk.unsafeFunctions.length === 0 && walk.unsafeOperators.length === 0 && walk.unsafeTypes.length === 0 &&
    walk.writes.length === 0 && walk.nested.length === 0 && !walk.locking && walk.into === ''
}

/**
 * Transaction control that changes nothing by itself. `BEGIN; SELECT 1; COMMIT` is read-only:
 * COMMIT only makes durable what the session did before, and every earlier statement went
 * through analysis on its own. The two-phase commands are not: `PREPARE TRANSACTION` parks a
 * transaction (and its locks) beyond the session, and `COMMIT/ROLLBACK PREPARED` finish someone
 * else's transaction, whose statements are not shown here.
 */
const READ_ONLY_TRANSACTION_KINDS: ReadonlySet<string> = new Set([
  'TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK',
  'TRANS_STMT_SAVEPOINT', 'TRANS_STMT_RELEASE', 'TRANS_STMT_ROLLBACK_TO',
])

/**
 * Whether a statement that wraps no other statement provably changes nothing. Anything not
 * named here is not read-only, including on purpose:
 * - `SET`/`RESET`/`SET CONSTRAINTS`/`DISCARD`: session state changes what later statements do
 *   (`SET ROLE`, `SET search_path`, `SET session_replication_role = replica` skips triggers);
 * - `NOTIFY` (other sessions act on it), `LOCK`, `VACUUM`/`ANALYZE`, `CLUSTER`, `REINDEX`,
 *   `CHECKPOINT`, `REFRESH MATERIALIZED VIEW`, `LOAD`, `DO`, `CALL`, and all DDL/DCL.
 * Read-only besides SELECT: `SHOW`, `LISTEN`/`UNLISTEN` (they only subscribe this session),
 * `CLOSE` and `DEALLOCATE` (they only forget a cursor or prepared statement), the transaction
 * control above, and `COPY … TO STDOUT` (a COPY that writes a server file or runs a program is not).
 * EXPLAIN, PREPARE, EXECUTE, DECLARE and FETCH depend on what they wrap; see the classifier.
 */
export function plainStatementIsReadOnly(name: string, node: Readonly<Record<string, unknown>>, walk: TreeWalk): boolean {
  if (!walkIsClean(walk)) return false
  switch (name) {
    case 'SelectStmt':
    case 'VariableShowStmt':
    case 'ListenStmt':
    case 'UnlistenStmt':
    case 'ClosePortalStmt':
    case 'DeallocateStmt':
      return true
    case 'TransactionStmt':
      return typeof node.kind === 'string' && READ_ONLY_TRANSACTION_KINDS.has(node.kind)
    case 'CopyStmt':
      return node.is_from !== true && node.is_program !== true && node.filename === undefined
    default:
      return false
  }
}

const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'off', 'no', '0'])

/**
 * Whether `EXPLAIN` options ask to run the statement (`ANALYZE`, `(ANALYZE)`, `(ANALYZE on)`).
 * Only a plainly false value (`(ANALYZE false)`) counts as off.
 */
export function explainAnalyzes(options: unknown): boolean {
  if (!Array.isArray(options)) return false
  return options.some((option) => {
    const def = isObject(option) && isObject(option.DefElem) ? option.DefElem : undefined
    if (def === undefined || (def.defname !== 'analyze' && def.defname !== 'analyse')) return false
    const arg = def.arg
    if (!isObject(arg)) return true
    if (isObject(arg.String)) return !FALSE_WORDS.has(String(arg.String.sval).toLowerCase())
    if (isObject(arg.Boolean)) return arg.Boolean.boolval === true
    if (isObject(arg.Integer)) return typeof arg.Integer.ival === 'number' && arg.Integer.ival !== 0
    return true
  })
}
