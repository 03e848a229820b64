import { isIP } from 'node:net'
import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { canonicalEmail } from '../lifecycle/reviewers.js'
import { parseSecretRef, type SecretRef } from './secret-ref.js'

/** A secret reference (`env:NAME`, `file:PATH`); any other string is refused without being repeated. */
export function secret(baseDir: string) {
  return z.string('expected a secret reference (env:NAME or file:PATH)').transform((text, ctx): SecretRef => {
    const parsed = parseSecretRef(text, baseDir)
    if ('problem' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.problem })
      return z.NEVER
    }
    return parsed
  })
}

/** A file or directory path, made absolute against the config file's directory. */
export function path(baseDir: string) {
  return z
    .string('expected a path')
    .min(1, 'expected a path')
    .refine((text) => !text.includes('\0'), 'a path cannot contain a NUL character')
    .transform((text) => (isAbsolute(text) ? text : resolve(baseDir, text)))
}

/** An email address in canonical form (`canonicalEmail`): the identity of a human. */
export const Email = z
  .string('expected an email address')
  .transform((text) => canonicalEmail(text))
  .pipe(z.email('expected an email address such as alice@example.com'))

/** A SHA-256 in hex, as `countersign token create` prints it; stored lower-case. */
export const Sha256Hex = z
  .string('expected a SHA-256 as 64 hex digits')
  .regex(/^[0-9a-fA-F]{64}$/, 'expected a SHA-256 as 64 hex digits (the second line `countersign token create` prints)')
  .transform((text) => text.toLowerCase())

/** Group names as policies write them after `group:`. */
export const GroupName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a group name of letters, digits, ".", "_" or "-"')

/** Labels: string keys to string values (`env: prod`). */
export const Labels = z
  .record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/, 'expected a label name of letters, digits, ".", "_", "/" or "-"'),
    // A policy compares labels as strings: `tier: 1` must be written "1" rather than silently becoming one.
    z.string('expected a string (quote numbers and booleans, e.g. "1")').max(256),
  )
  .default({})

/** A domain name, lower-cased (for `allowed_domains`). */
export const Domain = z
  .string('expected a domain such as example.com')
  .transform((text) => text.trim().toLowerCase())
  .pipe(z.string().regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, 'expected a domain such as example.com'))

/** An http(s) URL without credentials in it (those belong in a secret); with `trailingSlash`, a base URL (no query or fragment). */
export function httpUrl(options: { trailingSlash?: 'keep' | 'add' | 'strip' } = {}) {
  return z.string('expected a URL').transform((text, ctx) => {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' })
      return z.NEVER
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' })
      return z.NEVER
    }
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'a URL here must not carry credentials' })
      return z.NEVER
    }
    if (options.trailingSlash && (url.search || url.hash)) {
      // A base URL gets paths appended: a query or fragment would end up in the middle of every link.
      ctx.addIssue({ code: 'custom', message: 'a base URL cannot have a query (?…) or a fragment (#…)' })
      return z.NEVER
    }
    const href = url.href
    if (options.trailingSlash === 'add') return href.endsWith('/') ? href : `${href}/`
    if (options.trailingSlash === 'strip') return href.replace(/\/+$/, '')
    return href
  })
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** A duration such as `30s`, `1m` or `1h30m`, in milliseconds, within bounds. */
export function duration(bounds: { min: number; max: number; minText: string; maxText: string }) {
  return z.string('expected a duration such as 30s, 1m or 1h').transform((text, ctx) => {
    if (!/^(?:\d+(?:ms|s|m|h|d))+$/.test(text)) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 30s, 1m or 1h, got "${text}"` })
      return z.NEVER
    }
    let ms = 0
    for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
    if (ms < bounds.min || ms > bounds.max) {
      ctx.addIssue({ code: 'custom', message: `expected between ${bounds.minText} and ${bounds.maxText}, got "${text}"` })
      return z.NEVER
    }
    return ms
  })
}

const BYTE_UNITS = { B: 1, KB: 1000, KiB: 1024, MB: 1_000_000, MiB: 1_048_576, GB: 1_000_000_000, GiB: 1_073_741_824 } as const

/** A size in bytes within `bounds`: a number, or a string with a unit (`2MiB`, `512KiB`, `1MB`, `1GiB`). */
export function byteSize(bounds: { readonly min: number; readonly max: number; readonly minText: string; readonly maxText: string }) {
  return z.union([z.int(), z.string()], 'expected a size in bytes, e.g. 2MiB or 1048576').transform((value, ctx) => {
    let bytes = typeof value === 'number' ? value : Number.NaN
    if (typeof value === 'string') {
      const match = /^(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB)$/.exec(value.trim())
      if (match) bytes = Number(match[1]) * BYTE_UNITS[match[2] as keyof typeof BYTE_UNITS]
    }
    if (!Number.isSafeInteger(bytes) || bytes < bounds.min || bytes > bounds.max) {
      ctx.addIssue({ code: 'custom', message: `expected a size between ${bounds.minText} and ${bounds.maxText}, e.g. 2MiB or 1048576` })
      return z.NEVER
    }
    return bytes
  })
}

/** A request body's size: 1KiB to 64MiB. */
export const ByteSize = byteSize({ min: 1024, max: 64 * 1_048_576, minText: '1KiB', maxText: '64MiB' })

/** `host:port` or `[ipv6]:port`, split. */
export const Listen = z.string('expected host:port, e.g. 127.0.0.1:8470').transform((text, ctx) => {
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text)
  const host = match?.[1] ?? match?.[2]
  const port = Number(match?.[3])
  const validHost = match?.[1] !== undefined ? isIP(match[1]) === 6 : host !== undefined && /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)
  if (!match || host === undefined || !validHost) {
    ctx.addIssue({ code: 'custom', message: 'expected host:port, e.g. 127.0.0.1:8470 or [::1]:8470' })
    return z.NEVER
  }
  if (port > 65_535) {
    ctx.addIssue({ code: 'custom', message: `expected a port from 0 to 65535, got ${port}` })
    return z.NEVER
  }
  return { listen: text, host, port }
})

/** The base URL a listen address is reached at from this machine: unspecified addresses become loopback. */
export function urlOfListen(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${isIP(reachable) === 6 ? `[${reachable}]` : reachable}:${port}`
}
