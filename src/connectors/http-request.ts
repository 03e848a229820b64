/** Methods the `http` connector sends unless `allowed_methods` narrows them. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/**
 * Headers a payload may not set: the credential's (the connector sets it), and those that frame
 * or route the request (a payload must not redirect it to another virtual host or smuggle a body).
 */
const RESERVED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
])

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** A header name as HTTP allows it, and not one a request's framing depends on. */
export function isHeaderName(name: string): boolean {
  return TOKEN.test(name)
}

/**
 * The absolute URL a payload's `url` names on the target, or a problem. A path (with or without a
 * leading `/`) is appended to the base URL's path; an absolute URL must be on the base URL's origin
 * and under its path. After resolution (`..`, `%2e%2e`, `\`), anything outside is refused, and so
 * is an encoded `..` segment a server might decode: the credential never goes anywhere else.
 */
export function resolveRequestUrl(base: URL, requested: string): URL | { readonly problem: string } {
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(requested) || /^[/\\]{2}/.test(requested)
  let url: URL
  try {
    url = absolute ? new URL(requested, base) : new URL(requested.replace(/^\/+/, ''), base)
  } catch {
    return { problem: `"${requested}" is not a URL or path` }
  }
  url.hash = ''
  if (url.origin !== base.origin) return { problem: `${url.origin} is not the target's origin ${base.origin}: refused, the credential goes nowhere else` }
  if (url.username || url.password) return { problem: 'a URL with credentials in it is refused' }
  if (!url.pathname.startsWith(base.pathname) && `${url.pathname}/` !== base.pathname) {
    return { problem: `${url.pathname} is outside the target's base path ${base.pathname}: refused` }
  }
  let decoded: string
  try {
    decoded = decodeURIComponent(url.pathname)
  } catch {
    return { problem: 'the path has invalid percent-encoding' }
  }
  if (decoded.split(/[/\\]/).some((segment) => segment === '..' || segment === '.')) return { problem: 'the path has an encoded "." or ".." segment: refused' }
  return url
}

/**
 * The payload's headers, checked: valid names and values, none the connector owns (the auth
 * header included); a problem otherwise. Names are lower-cased.
 */
export function requestHeaders(headers: Readonly<Record<string, string>> | undefined, authHeader: string | undefined): Record<string, string> | { readonly problem: string } {
  const checked: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase()
    if (!isHeaderName(name)) return { problem: `"${name}" is not a valid header name` }
    if (RESERVED_HEADERS.has(lower) || lower === authHeader) return { problem: `the payload may not set the ${name} header: the connector sets it` }
    if (/[\r\n\0]/.test(value)) return { problem: `the ${name} header has a line break or NUL in its value` }
    checked[lower] = value
  }
  return checked
}

/** The payload's body as sent: objects and other JSON values as JSON, strings as text; null or absent as none. */
export function requestBody(body: unknown, headers: Record<string, string>): string | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string') {
    headers['content-type'] ??= 'text/plain; charset=utf-8'
    return body
  }
  headers['content-type'] ??= 'application/json'
  return JSON.stringify(body)
}

/** Response headers worth returning: none that carry a session or a credential (`set-cookie`…). */
const SAFE_RESPONSE_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-disposition',
  'location',
  'etag',
  'last-modified',
  'cache-control',
  'expires',
  'date',
  'retry-after',
  'link',
  'vary',
  'allow',
  'x-request-id',
  'request-id',
])

/** The safe subset of a response's headers. */
export function safeHeaders(headers: Headers): Record<string, string> {
  const safe: Record<string, string> = {}
  for (const [name, value] of headers) {
    if (SAFE_RESPONSE_HEADERS.has(name) || name.startsWith('x-ratelimit-') || name.startsWith('ratelimit')) safe[name] = value
  }
  return safe
}

/** True when a response of this type is text (returned as UTF-8 rather than base64). */
export function isTextType(contentType: string | null): boolean {
  if (!contentType) return false
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  return (
    type.startsWith('text/') ||
    /^application\/(?:[\w.+-]+\+)?(?:json|xml)$/.test(type) ||
    type === 'application/javascript' ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/problem+json'
  )
}
