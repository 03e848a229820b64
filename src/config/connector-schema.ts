import { z } from 'zod'
import { parseSecretRef } from './secret-ref.js'

/**
 * Option names whose string values are credentials (or carry them, as a database URL does),
 * at any depth of a connector's options. Each must be a secret reference.
 */
const CREDENTIAL_KEYS = new Set(['url', 'password', 'passphrase', 'token', 'secret', 'key', 'dsn', 'database_url', 'connection_string'])
const CREDENTIAL_SUFFIXES = ['_password', '_passphrase', '_token', '_secret', '_key', '_dsn']

/** True when a connector option of this name holds a credential. */
function isCredentialKey(name: string): boolean {
  const lower = name.toLowerCase()
  return CREDENTIAL_KEYS.has(lower) || CREDENTIAL_SUFFIXES.some((suffix) => lower.endsWith(suffix))
}

type Path = (string | number)[]

/**
 * A target's connector: `type` plus options kept as written (each connector checks its own
 * options when it is built), except that credential-like strings become `SecretRef`s.
 * The result is a fresh copy, so freezing it never freezes the caller's objects.
 */
export function connectorSchema(baseDir: string) {
  return z
    .looseObject(
      { type: z.string('expected the connector type, e.g. postgres').regex(/^[a-z][a-z0-9_-]{0,63}$/, 'expected the connector type, e.g. postgres') },
      'expected a mapping with at least type, e.g. { type: postgres, url: env:PROD_DB_URL }',
    )
    .transform((connector, ctx) => {
      const problems: { path: Path; message: string }[] = []
      const copy = convert(connector, [], problems, baseDir) as { type: string; [option: string]: unknown }
      for (const problem of problems) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message })
      return problems.length > 0 ? z.NEVER : copy
    })
}

function convert(value: unknown, path: Path, problems: { path: Path; message: string }[], baseDir: string): unknown {
  if (!value || typeof value !== 'object') return value
  // Deeper than any connector's options: a cyclic in-memory object, reported by the cross-entry checks.
  if (path.length > 32) return undefined
  if (Array.isArray(value)) return value.map((item, index) => convert(item, [...path, index], problems, baseDir))
  const copy: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    // Assigning it would replace the copy's prototype; the cross-entry checks report the key.
    if (key === '__proto__') continue
    if (typeof item === 'string' && isCredentialKey(key)) {
      const ref = parseSecretRef(item, baseDir)
      if ('problem' in ref) problems.push({ path: [...path, key], message: `"${key}" holds a credential: ${ref.problem}` })
      copy[key] = ref
      continue
    }
    copy[key] = convert(item, [...path, key], problems, baseDir)
  }
  return copy
}
