import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { extname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Context, Hono } from 'hono'

/** The console's pages: each serves the single-page app, which routes in the browser. */
export const CONSOLE_PAGES = ['/', '/login', '/inbox', '/monitor', '/audit', '/grants', '/passkeys', '/actions/:id'] as const

/**
 * Everything the pages load comes from this origin, and nothing runs that the build did not
 * write: no inline script or style, no eval, no framing, no plugins, forms post only here.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

/** Hashed build outputs never change under their name. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

interface Loaded {
  readonly body: Uint8Array<ArrayBuffer>
  readonly gzip: Uint8Array<ArrayBuffer> | undefined
  readonly etag: string
  readonly mtimeMs: number
}

/**
 * Serves the built console from `dir` (Vite's output): the pages with a strict
 * Content-Security-Policy and `no-cache` (revalidated by ETag, so a new build shows at once),
 * the hashed assets as immutable for a year. Files are read once and kept in memory, gzipped
 * when that helps; only names of the build's own form are looked up (no paths from the request).
 */
export function serveConsoleAssets(app: Hono<any>, options: { readonly dir: string; readonly secure: boolean }): void {
  const cache = new Map<string, Loaded>()
  const load = (file: string): Loaded | undefined => {
    let mtimeMs: number
    try {
      mtimeMs = statSync(file).mtimeMs
    } catch {
      return undefined
    }
    const cached = cache.get(file)
    if (cached && cached.mtimeMs === mtimeMs) return cached
    // Copied once into plain arrays: what a response body takes, without a copy per request.
    const body = new Uint8Array(readFileSync(file))
    const zipped = body.length > 1024 ? new Uint8Array(gzipSync(body)) : undefined
    const loaded = { body, gzip: zipped && zipped.length < body.length ? zipped : undefined, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, mtimeMs }
    cache.set(file, loaded)
    return loaded
  }
  const security: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    ...(options.secure && { 'strict-transport-security': 'max-age=31536000' }),
  }
  const pageHeaders: Record<string, string> = {
    ...security,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
  }

  const send = (c: Context, loaded: Loaded, headers: Record<string, string>): Response => {
    const common = { ...headers, etag: loaded.etag, vary: 'accept-encoding' }
    if (c.req.header('if-none-match') === loaded.etag) return c.body(null, 304, common)
    const gzip = loaded.gzip !== undefined && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')
    const body = gzip ? loaded.gzip! : loaded.body
    return c.body(body, 200, { ...common, ...(gzip && { 'content-encoding': 'gzip' }), 'content-length': String(body.length) })
  }

  const page = (c: Context): Response => {
    const loaded = load(join(options.dir, 'index.html'))
    if (!loaded) {
      return c.body(NOT_BUILT, 503, { ...pageHeaders, 'content-type': TYPES['.html']!, 'cache-control': 'no-store', 'retry-after': '10' })
    }
    return send(c, loaded, { ...pageHeaders, 'content-type': TYPES['.html']!, 'cache-control': 'no-cache' })
  }
  for (const path of CONSOLE_PAGES) app.get(path, page)

  app.get('/assets/:file', (c) => {
    const name = c.req.param('file')
    const type = TYPES[extname(name)]
    // Vite's names only (letters, digits, "-", "_", "." ): nothing from the request reaches the path otherwise.
    const loaded = type && /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}$/.test(name) ? load(join(options.dir, 'assets', name)) : undefined
    if (!loaded) return c.body('not found', 404, { ...security, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    return send(c, loaded, { ...security, 'content-type': type!, 'cache-control': IMMUTABLE })
  })

  app.get('/favicon.svg', (c) => {
    const loaded = load(join(options.dir, 'favicon.svg'))
    if (!loaded) return c.body('not found', 404, { ...security, 'content-type': 'text/plain; charset=utf-8' })
    return send(c, loaded, { ...security, 'content-type': TYPES['.svg']!, 'cache-control': 'public, max-age=86400' })
  })
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Countersign console</title></head>
<body><h1>The console is not built</h1><p>Its assets are missing from this installation. Run <code>npm run build:console</code>
(<code>npm start</code> builds them when they are missing), then reload. The API at <code>/v1</code> works meanwhile.</p></body></html>`
