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
 * and under its path. The path must stay under the base path however a server reads it, so
 * anything servers read differently is refused ({@link pathProblem}): the credential never goes
 * anywhere else.
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
  // As written (before URL parsing resolved any of it), and as it will be sent.
  const written = requested.replace(/^[A-Za-z][A-Za-z0-9+.-]*:/, '').replace(/^[/\\]{2}[^/\\?#]*/, '').split(/[?#]/)[0]!
  const problem = pathProblem(written) ?? pathProblem(url.pathname)
  if (problem !== undefined) return { problem: `${problem}: refused` }
  if (!url.pathname.startsWith(base.pathname) && `${url.pathname}/` !== base.pathname) {
    return { problem: `${url.pathname} is outside the target's base path ${base.pathname}: refused` }
  }
  return url
}

/** How many times a path is percent-decoded when looking for what a server may read (a proxy and an application may each decode once). */
const DECODINGS = 3

/**
 * Why servers may read a request path differently from what it says, or undefined: a `.` or `..`
 * segment in any form (`%2e%2e`, `.%2E`, double-encoded `%252e`, fullwidth `．．`, with spaces
 * or trailing dots as Windows reads them, `..;` as Tomcat, Jetty and Spring strip path
 * parameters), a `;` (path parameters, which those servers cut out of a segment and others do
 * not), a backslash (a separator to some), a NUL or control character, or percent-encoding that
 * is not valid UTF-8 (overlong forms such as `%c0%ae`, `%u002e`), at every decoding.
 */
export function pathProblem(path: string): string | undefined {
  if (path.includes('\\')) return 'a backslash in the path (some servers read it as "/")'
  let stage = path
  for (let round = 0; round <= DECODINGS; round++) {
    if (stage.includes(';')) return 'a ";" in the path (Tomcat, Jetty and Spring cut path parameters out of a segment, so that "..;" is read as "..")'
    if (/[\0-\x1f\x7f]/.test(stage)) return 'a NUL or control character in the path'
    for (const segment of stage.normalize('NFKC').split(/[/\\]/)) {
      if (/^[.\s]*\.[.\s]*$/.test(segment)) return 'a "." or ".." segment in the path (write the path as the server should read it)'
    }
    // A "%" left by a decoding that no two hex digits follow is a literal one: no server decodes it further.
    if (round === 0 ? !stage.includes('%') : !/%[0-9a-f]{2}/i.test(stage)) return undefined
    try {
      stage = decodeURIComponent(stage)
    } catch {
      return 'percent-encoding in the path that is not valid UTF-8 (such as an overlong "%c0%ae")'
    }
  }
  return 'the path is percent-encoded more times than any server decodes it'
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
