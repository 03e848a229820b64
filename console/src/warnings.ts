/** A risk the analyzer flagged, in a word or two, for a chip in the inbox row. */
export interface RiskFlag {
  readonly name: string
  /** Why: the fact it comes from (shown as the chip's title). */
  readonly fact: string
}

/**
 * The risk flags of an action's facts, in the few words an approver scans a list for: what did
 * not parse, code known only at run time, a write with no WHERE, destroys, public exposure,
 * privileges… Read from the facts the policy read (docs/facts.md), never guessed from text; an
 * unknown kind or missing facts give none (its highlights still say what the analyzer saw).
 *
 * @example
 * riskFlags('sql', { statements: [{ type: 'delete', has_where: false }] }) // [{ name: 'no WHERE', … }]
 */
export function riskFlags(kind: string, facts: unknown): RiskFlag[] {
  if (!facts || typeof facts !== 'object') return []
  const f = facts as Record<string, unknown>
  const flags: RiskFlag[] = []
  const add = (on: boolean, name: string, fact: string) => {
    if (on && !flags.some((flag) => flag.name === name)) flags.push({ name, fact })
  }
  const list = (key: string): unknown[] => (Array.isArray(f[key]) ? (f[key] as unknown[]) : [])
  const records = (key: string): Record<string, unknown>[] => list(key).filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
  add(typeof f['parse_error'] === 'string' && f['parse_error'] !== '', 'does not parse', 'parse_error')
  if (kind === 'sql') {
    const statements = records('statements')
    add(statements.some((statement) => ['update', 'delete', 'merge'].includes(String(statement['type'])) && statement['has_where'] !== true), 'no WHERE', 'statements[].has_where')
    add(statements.some((statement) => statement['type'] === 'drop' || statement['type'] === 'truncate'), 'destroys', 'statements[].type')
    add(f['ddl'] === true, 'DDL', 'ddl')
    add(f['dcl'] === true, 'privileges', 'dcl')
  }
  if (kind === 'shell') {
    add(f['dynamic'] === true, 'dynamic', 'dynamic')
    add(records('commands').some((command) => command['sudo'] === true), 'sudo', 'commands[].sudo')
    add(list('runs_code').length > 0, 'runs code', 'runs_code')
    add(list('sensitive_paths').length > 0, 'secret paths', 'sensitive_paths')
    add(list('modifies').length > 0, 'modifies', 'modifies')
    add(f['unbounded'] === true, 'unbounded', 'unbounded')
  }
  if (kind === 'terraform') {
    add(f['destroys_any'] === true, 'destroys', 'destroys_any')
    add(list('data_stores').length > 0, 'data stores', 'data_stores')
    add(list('public_exposure').length > 0, 'public exposure', 'public_exposure')
    add(list('unknown_exposure').length > 0, 'exposure unknown', 'unknown_exposure')
    add(list('iam_changes').length > 0, 'IAM', 'iam_changes')
  }
  if (kind === 'kubernetes') {
    add(f['destructive'] === true, 'destroys', 'destructive')
    add(f['privileged'] === true, 'privileged', 'privileged')
    add(f['rbac_escalation'] === true, 'RBAC escalation', 'rbac_escalation')
    add(f['secrets_access'] === true, 'secrets', 'secrets_access')
    add(f['interactive_access'] === true, 'exec', 'interactive_access')
    add(f['all_namespaces'] === true, 'all namespaces', 'all_namespaces')
  }
  if (kind === 'http') add(f['admin'] === true, 'admin', 'admin')
  if (kind === 'mcp') add(f['destructive'] === true, 'destructive', 'destructive')
  return flags
}
