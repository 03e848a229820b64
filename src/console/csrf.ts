import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'

/** The header the console sends its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Whether a request can change state (and so needs CSRF protection when a cookie authenticates it). */
export function changesState(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase())
}

/**
 * The CSRF token of a session: derived from its id, so every replica computes the same token
 * without storing it, and only a page that was given it (same origin) can send it. The stored
 * hash of the id is computed differently: the store alone yields neither.
 */
export function csrfToken(sessionId: string): string {
  return createHash('sha256').update(`countersign console csrf\0${sessionId}`, 'utf8').digest('base64url')
}

/** Whether `presented` is the session's CSRF token (compared in constant time). */
export function validCsrf(sessionId: string, presented: string | undefined): boolean {
  if (presented === undefined) return false
  const expected = Buffer.from(csrfToken(sessionId))
  const given = Buffer.from(presented)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/**
 * Whether a state-changing request comes from a page of this gateway, by the headers browsers set
 * themselves: `Origin` must be the public origin or the request's own host, and `Sec-Fetch-Site`
 * (when sent) must be same-origin. Requests with neither header are not from a modern browser's
 * cross-site page; the CSRF token still guards them.
 */
export function sameOrigin(c: Context, publicOrigin: string): boolean {
  const site = c.req.header('sec-fetch-site')
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false
  const origin = c.req.header('origin')
  if (origin === undefined) return true
  if (origin === publicOrigin) return true
  try {
    return new URL(origin).host === c.req.header('host')
  } catch {
    return false
  }
}
