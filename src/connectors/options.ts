import { z } from 'zod'
import { parseSecretRef, type SecretRef, type TargetConfig } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import { parseDuration } from '../policy/duration.js'

/** True when `value` is a {@link SecretRef} as config loading makes them. */
export function isSecretRef(value: unknown): value is SecretRef {
  if (!value || typeof value !== 'object') return false
  const ref = value as Record<string, unknown>
  return typeof ref.ref === 'string' && ((ref.kind === 'env' && typeof ref.name === 'string') || (ref.kind === 'file' && typeof ref.path === 'string'))
}

/**
 * A credential option: config loading has already turned `env:NAME` / `file:PATH` under a
 * credential-like key into a {@link SecretRef}; anything else here was written as a value.
 */
export const SecretOption = z.custom<SecretRef>(isSecretRef, 'expected a secret reference (env:NAME or file:PATH), never the value itself')

/**
 * A value that may be a secret reference although its key does not look like a credential
 * (an environment variable such as `PGPASSWORD` for a command): a string written as `env:NAME`
 * or `file:/absolute/path` is taken as a reference, any other string as a plain value.
 */
export const ValueOrSecret = z.union([SecretOption, z.string()]).transform((value, ctx): string | SecretRef => {
  if (typeof value !== 'string' || !(value.startsWith('env:') || value.startsWith('file:'))) return value
  if (value.startsWith('file:') && !value.slice(5).startsWith('/')) {
    ctx.addIssue({ code: 'custom', message: 'a file: reference here needs an absolute path (or put it under a key ending in _secret)' })
    return z.NEVER
  }
  const ref = parseSecretRef(value, '/')
  if ('problem' in ref) {
    ctx.addIssue({ code: 'custom', message: ref.problem })
    return z.NEVER
  }
  return ref
})

/** A duration option (`30s`, `1m30s`) in milliseconds, with a default and bounds. */
export function durationOption(defaultText: string, bounds: { readonly min: number; readonly max: number }) {
  return z
    .string('expected a duration such as 30s, 1m or 1h')
    .default(defaultText)
    .transform((text, ctx) => {
      const ms = parseDuration(text)
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration such as 30s, 1m or 1h, got "${text}"` })
        return z.NEVER
      }
      if (ms < bounds.min || ms > bounds.max) {
        ctx.addIssue({ code: 'custom', message: `expected between ${bounds.min}ms and ${bounds.max / 1000}s, got "${text}"` })
        return z.NEVER
      }
      return ms
    })
}

const BYTE_UNITS = { B: 1, KB: 1000, KiB: 1024, MB: 1_000_000, MiB: 1_048_576, GB: 1_000_000_000, GiB: 1_073_741_824 } as const

/** Parses a size: a number of bytes, or a string with a unit (`1MiB`, `512KiB`, `64KB`); `undefined` otherwise. */
function parseSize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
  const match = /^(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/.exec(value.trim())
  if (!match) return undefined
  const bytes = Number(match[1]) * BYTE_UNITS[(match[2] ?? 'B') as keyof typeof BYTE_UNITS]
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** A size option (`1MiB`, `65536`) in bytes, with a default and bounds. */
export function sizeOption(defaultValue: string, bounds: { readonly min: number; readonly max: number }) {
  return z
    .union([z.number(), z.string()], 'expected a size such as 1MiB, 512KiB or a number of bytes')
    .default(defaultValue)
    .transform((value, ctx) => {
      const bytes = parseSize(value)
      if (bytes === undefined || bytes < bounds.min || bytes > bounds.max) {
        ctx.addIssue({ code: 'custom', message: `expected a size from ${bounds.min} bytes to ${bounds.max / 1_048_576}MiB, such as 1MiB or 512KiB` })
        return z.NEVER
      }
      return bytes
    })
}

/** A positive whole number with a default and a maximum. */
export function countOption(defaultValue: number, max: number) {
  return z.int(`expected a whole number from 1 to ${max}`).min(1, `expected a whole number from 1 to ${max}`).max(max, `expected a whole number from 1 to ${max}`).default(defaultValue)
}

/** The problems of a target's connector options, each naming the target and the option. */
export function optionProblems(target: TargetConfig, schema: z.ZodType): string[] {
  const parsed = schema.safeParse(target.connector)
  if (parsed.success) return []
  return parsed.error.issues.map((issue) => {
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys : []
    const path = [...issue.path, ...(unknown.length === 1 ? unknown : [])].map(String).join('.')
    const where = path === '' ? `target ${target.name}: connector` : `target ${target.name}: connector option ${path}`
    const message = issue.code === 'unrecognized_keys' ? `unknown option${unknown.length > 1 ? `s ${unknown.join(', ')}` : ''}` : issue.message
    return `${where}: ${message}`
  })
}

/** Parses a target's connector options or throws `INVALID` listing every problem. */
export function parseOptions<Schema extends z.ZodType>(target: TargetConfig, schema: Schema): z.output<Schema> {
  const parsed = schema.safeParse(target.connector)
  if (parsed.success) return parsed.data
  const problems = optionProblems(target, schema)
  throw new CountersignError('INVALID', problems.join('; '), { details: problems.map((message) => ({ message, path: `targets.${target.name}.connector` })) })
}

/**
 * The per-target switch of identity at execution: `true` (the default) passes
 * the execution's context to the target (settings, headers, environment, `_meta`); `false` does not.
 */
export const IdentityOption = z.boolean('expected true or false').default(true)

/** Options of the SQL connectors (`postgres`, `mysql`): the same keys, with `type` naming which. */
export function sqlOptionsSchema<T extends string>(type: T) {
  return z.strictObject({
    type: z.literal(type),
    url: SecretOption,
    statement_timeout: durationOption('30s', { min: 10, max: 86_400_000 }),
    max_rows: countOption(1000, 1_000_000),
    max_bytes: sizeOption('1MiB', { min: 1024, max: 64 * 1_048_576 }),
    pool_size: countOption(4, 100),
    /** postgres: how old the target's catalog snapshot (functions, operators, casts, views the analysis resolves names in) may grow before it is read again. */
    catalog_refresh: durationOption('5m', { min: 1000, max: 86_400_000 }),
    identity: IdentityOption,
  })
}
