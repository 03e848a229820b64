import { formatPath } from '../policy/source-map.js'

type Path = (string | number)[]

/** A problem found by a rule no single entry can check alone. */
export interface CrossProblem {
  readonly path: Path
  /** Set when the problem is a key of the mapping at `path`. */
  readonly key?: string
  readonly message: string
}

/**
 * Rules across entries: duplicate humans, agents, targets and token hashes, and `__proto__`
 * keys. They run on the raw document, beside the schema rather than after it, so that they are
 * reported together with every other problem even when some entries are invalid.
 */
export function crossChecks(raw: unknown): CrossProblem[] {
  const problems: CrossProblem[] = []
  findProtoKeys(raw, [], problems)
  const root = record(raw)
  const identities = record(root?.['identities'])
  const humans = list(identities?.['humans'])
  const agents = list(identities?.['agents'])
  unique(humans, ['identities', 'humans'], 'email', 'human', problems)
  unique(agents, ['identities', 'agents'], 'id', 'agent', problems)
  unique(list(root?.['targets']), ['targets'], 'name', 'target', problems)

  // One hash, one holder: otherwise a token would authenticate as whichever entry is found first.
  const holders = new Map<string, Path>()
  for (const [section, entries] of [['humans', humans], ['agents', agents]] as const) {
    entries.forEach((entry, index) => {
      list(record(entry)?.['token_sha256']).forEach((hash, position) => {
        if (typeof hash !== 'string') return
        const path = ['identities', section, index, 'token_sha256', position]
        const first = holders.get(hash.toLowerCase())
        if (first) problems.push({ path, message: `this token hash is already used at ${formatPath(first)}: each token belongs to one identity` })
        else holders.set(hash.toLowerCase(), path)
      })
    })
  }
  return problems
}

/** Reports entries whose `key` repeats an earlier one's, case-insensitively (`Prod-DB` and `prod-db` are one name to a reader). */
function unique(entries: readonly unknown[], at: Path, key: string, what: string, problems: CrossProblem[]): void {
  const seen = new Map<string, number>()
  entries.forEach((entry, index) => {
    const value = record(entry)?.[key]
    if (typeof value !== 'string') return
    const canonical = value.trim().toLowerCase()
    const first = seen.get(canonical)
    if (first === undefined) seen.set(canonical, index)
    else problems.push({ path: [...at, index, key], message: `duplicate ${what} ${key} "${value}" (first at ${formatPath([...at, first])})` })
  })
}

function findProtoKeys(value: unknown, path: Path, problems: CrossProblem[]): void {
  if (!value || typeof value !== 'object') return
  // A config is a handful of levels deep; this bounds a cyclic in-memory object.
  if (path.length > 32) {
    problems.push({ path, message: 'nested too deeply' })
    return
  }
  if (Array.isArray(value)) return value.forEach((item, index) => findProtoKeys(item, [...path, index], problems))
  for (const [key, item] of Object.entries(value)) {
    if (key === '__proto__') problems.push({ path, key, message: 'a key named "__proto__" is not allowed' })
    else findProtoKeys(item, [...path, key], problems)
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : []
}
