import { REDACTED, isCredentialName } from './sensitive.js'
import type { HttpQuery } from './facts.js'

/** A URL as the gateway reasons about it; see the facts of the same names. */
export interface NormalizedUrl {
  readonly scheme: string
  readonly host: string
  readonly port: number
  readonly path: string
  /** The query for facts: decoded names and values, credential-like values redacted. */
  readonly query: HttpQuery
  /** The query as sent, every value decoded, nothing redacted: for recognizers only, never for facts. */
  readonly params: URLSearchParams
  readonly url: string
  /** The URL carried a user name or password (dropped from `url`). */
  readonly hadCredentials: boolean
}

/** Why a URL cannot be analyzed, and the scheme when one is readable. */
export interface UrlError {
  readonly error: string
  readonly scheme: string
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 }

/**
 * Parses and normalizes an http(s) URL the way a client and server would read it (WHATWG URL
 * parser: lower-case host, IDNA, IPv4 forms, `\` as `/`, dot segments including `%2e`), then
 * decodes escaped unreserved characters in the path, drops a host's trailing dot, and
 * redacts credential-like query values for the facts.
 */
export function normalizeUrl(raw: string): NormalizedUrl | UrlError {
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw.trim())?.[1]?.toLowerCase() ?? ''
    return { error: 'not a valid absolute URL', scheme }
  }
  const scheme = parsed.protocol.slice(0, -1)
  if (scheme !== 'http' && scheme !== 'https') return { error: `unsupported scheme "${scheme}" (only http and https)`, scheme }
  // `example.com.` and `example.com` are one host to DNS; policies must not be dodged by the dot.
  const host = parsed.hostname.replace(/\.+$/, '')
  if (host === '') return { error: 'the URL has no host', scheme }
  const defaultPort = DEFAULT_PORTS[scheme] as number
  const port = parsed.port === '' ? defaultPort : Number(parsed.port)
  const path = normalizePath(parsed.pathname)
  const rawQuery = parsed.search.slice(1)
  const params = new URLSearchParams(rawQuery)
  const authority = port === defaultPort ? host : `${host}:${port}`
  const search = rawQuery === '' ? '' : `?${redactQuery(rawQuery)}`
  return {
    scheme,
    host,
    port,
    path,
    query: queryFacts(params),
    params,
    url: `${scheme}://${authority}${path}${search}`,
    hadCredentials: parsed.username !== '' || parsed.password !== '',
  }
}

/** Type guard: the URL could not be analyzed. */
export function isUrlError(value: NormalizedUrl | UrlError): value is UrlError {
  return 'error' in value
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/

/**
 * Decodes `%XX` escapes of unreserved characters (RFC 3986 §6.2.2.2) and upper-cases the others.
 * Dot segments were already resolved by the URL parser, `%2e` forms included, and decoding an
 * escape inside a segment cannot make a new one (`a%2eb` → `a.b`), but a segment of escaped dots
 * is checked again for safety.
 */
function normalizePath(pathname: string): string {
  const decoded = pathname.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16))
    return UNRESERVED.test(char) ? char : escape.toUpperCase()
  })
  return removeDotSegments(decoded)
}

/** RFC 3986 §5.2.4, on a path that starts with `/`. */
export function removeDotSegments(path: string): string {
  const out: string[] = []
  const segments = path.split('/').slice(1)
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop()
      if (last) out.push('')
    } else out.push(segment)
  })
  return `/${out.join('/')}`
}

/** Repeated names become lists, in order; credential-like names get one `(redacted)` per value. */
function queryFacts(params: URLSearchParams): HttpQuery {
  const byName = new Map<string, string[]>()
  for (const [name, value] of params) {
    const values = byName.get(name) ?? []
    values.push(isCredentialName(name) ? REDACTED : value)
    byName.set(name, values)
  }
  // fromEntries defines own properties, so a parameter named `__proto__` is kept as data.
  return Object.fromEntries([...byName].map(([name, values]) => [name, values.length === 1 ? (values[0] as string) : values]))
}

/** The query as written, each credential-like value replaced: the parameters stay in order and keep their encoding. */
function redactQuery(rawQuery: string): string {
  return rawQuery
    .split('&')
    .map((pair) => {
      if (!isCredentialName(pairName(pair))) return pair
      const equals = pair.indexOf('=')
      return `${equals === -1 ? pair : pair.slice(0, equals)}=${REDACTED}`
    })
    .join('&')
}

/** The decoded name of one `name=value` pair, decoded exactly as the query facts decode it. */
function pairName(pair: string): string {
  for (const [name] of new URLSearchParams(pair)) return name
  return ''
}
