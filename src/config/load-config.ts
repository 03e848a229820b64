import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { z } from 'zod'
import { CountersignError, type ErrorDetail } from '../errors/index.js'
import { formatPath, YamlSource } from '../policy/source-map.js'
import { configSchema } from './config-schema.js'
import type { Config } from './config-types.js'
import { crossChecks } from './cross-checks.js'
import { closest, keysAt } from './schema-keys.js'

type Path = readonly PropertyKey[]

/** Options every way of reading a config takes. */
export interface ConfigOptions {
  /** The policy path used when the config has no `policy` key; without it, `policy` is required. */
  readonly defaultPolicy?: string
}

/** Where a problem is, in whatever the config came from. */
interface Locator {
  at(path: Path, message: string): ErrorDetail
  atKey(path: Path, key: string, message: string): ErrorDetail
  has(path: Path): boolean
}

/**
 * Reads and validates a `countersign.yaml`. Relative paths in it are relative to its directory.
 * Every problem is reported at once, as one `INVALID` error whose details carry file, line,
 * column and path; secrets are not read here (see `resolveSecret`).
 *
 * @example
 * const config = loadConfig(process.env.COUNTERSIGN_CONFIG ?? 'countersign.yaml')
 */
export function loadConfig(file: string, options: ConfigOptions = {}): Config {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message
    throw new CountersignError('INVALID', `cannot read config ${file}: ${reason}`)
  }
  return parseConfig(text, { ...options, file, baseDir: dirname(resolve(file)) })
}

/** Validates the text of a config; `file` names it in errors, `baseDir` anchors its relative paths. */
export function parseConfig(text: string, options: ConfigOptions & { readonly file?: string; readonly baseDir: string }): Config {
  const source = new YamlSource(text, options.file)
  const syntax = source.syntaxErrors()
  if (syntax.length > 0) fail(options.file, syntax)
  let raw: unknown
  try {
    raw = source.document.toJS({ maxAliasCount: 100 })
  } catch (error) {
    fail(options.file, [source.at([], `cannot read the config: ${(error as Error).message.split('\n')[0]}`)])
  }
  return validate(raw ?? {}, options, {
    at: (path, message) => source.at(path, message),
    atKey: (path, key, message) => source.atKey(path, key, message),
    has: (path) => source.document.hasIn(path),
  })
}

/**
 * Validates a config built in memory (the quickstart config of `serve`) through the same
 * schema and rules as a file; problems carry paths instead of lines.
 */
export function configFromObject(raw: unknown, options: ConfigOptions & { readonly file?: string; readonly baseDir: string }): Config {
  const detail = (path: Path, message: string): ErrorDetail => ({ file: options.file, message, path: formatPath(path) })
  return validate(raw, options, {
    at: detail,
    atKey: (path, key, message) => detail([...path, key], message),
    has: (path) => {
      let node: unknown = raw
      for (const part of path) {
        if (!node || typeof node !== 'object' || !Object.hasOwn(node, part)) return false
        node = (node as Record<PropertyKey, unknown>)[part]
      }
      return node !== undefined
    },
  })
}

/** Sections that have defaults: written with nothing under them (all lines commented out), they mean "the defaults". */
const DEFAULTED_SECTIONS = new Set(['server', 'store', 'identities', 'targets', 'audit', 'channels', 'execution'])

function validate(raw: unknown, options: ConfigOptions & { readonly file?: string; readonly baseDir: string }, locator: Locator): Config {
  const schema = configSchema(resolve(options.baseDir), options.defaultPolicy)
  const input = raw && typeof raw === 'object' && !Array.isArray(raw) ? Object.fromEntries(Object.entries(raw).filter(([key, value]) => !(value === null && DEFAULTED_SECTIONS.has(key)))) : raw
  const parsed = schema.safeParse(input)
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap((issue) => issueDetails(issue, schema, locator))),
    ...crossChecks(raw).map((problem) => (problem.key === undefined ? locator.at(problem.path, problem.message) : locator.atKey(problem.path, problem.key, problem.message))),
  ]
  if (!parsed.success || problems.length > 0) fail(options.file, problems)
  const { policy, ...sections } = parsed.data!
  return deepFreeze({ ...(options.file === undefined ? {} : { file: options.file }), ...sections, policy: policy.file, policy_source: policy.source })
}

function issueDetails(issue: z.core.$ZodIssue, schema: z.ZodType, locator: Locator): ErrorDetail[] {
  const path = issue.path as PropertyKey[]
  if (issue.code === 'unrecognized_keys') {
    const expected = keysAt(schema, path) ?? []
    // `__proto__` is reported by the cross-entry checks, for strict and loose mappings alike.
    return issue.keys.filter((key) => key !== '__proto__').map((key) => {
      const guess = closest(key, expected)
      const hint = guess ? ` (did you mean "${guess}"?)` : expected.length > 0 ? ` (expected one of: ${expected.join(', ')})` : ''
      return locator.atKey(path, key, `unknown key "${key}"${hint}`)
    })
  }
  if (issue.code === 'invalid_key' && path.length > 0) {
    // A record's key failed its schema: point at the key and say what a key must look like.
    const message = issue.issues[0]?.message ?? issue.message
    return [locator.atKey(path.slice(0, -1), String(path.at(-1)), `${message}, got key "${String(path.at(-1))}"`)]
  }
  if (issue.code === 'invalid_type' && path.length > 0 && !locator.has(path)) {
    return [locator.at(path, `missing required key "${String(path.at(-1))}"`)]
  }
  return [locator.at(path, issue.message)]
}

function fail(file: string | undefined, details: readonly ErrorDetail[]): never {
  const sorted = [...details].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
  throw new CountersignError('INVALID', `${file ?? 'config'}: ${sorted.length === 1 ? 'invalid config' : `${sorted.length} problems`}`, { details: sorted })
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item)
    Object.freeze(value)
  }
  return value
}
