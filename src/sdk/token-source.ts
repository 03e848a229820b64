import { execFile } from 'node:child_process'

/**
 * Where a client gets its bearer token when the token is short-lived (a CI job's OIDC token lives
 * about five minutes; a review can take longer): asked before each request, it returns a token
 * that is not about to expire; `fresh: true` (after a 401) fetches a new one whatever the cache says.
 */
export interface TokenSource {
  token(options?: { readonly fresh?: boolean }): Promise<string>
}

/** How long a token command may take. */
const COMMAND_TIMEOUT_MS = 30_000

/**
 * A {@link TokenSource} that runs `command` with `sh -c` and takes its stdout (trimmed) as the
 * token. A JWT is fetched again once less than half its lifetime, and at most 30 s, is left
 * (read from its `exp` and `iat`, on this machine's clock; a 401 fetches anew in any case); any
 * other token is kept until a 401.
 *
 * @example
 * // GitHub Actions: the job's OIDC token for the audience "countersign".
 * commandTokenSource('curl -sSf -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=countersign" | node -pe "JSON.parse(require(\'fs\').readFileSync(0)).value"')
 */
export function commandTokenSource(command: string, options: { readonly env?: NodeJS.ProcessEnv; readonly now?: () => number } = {}): TokenSource {
  const now = options.now ?? Date.now
  let cached: { token: string; refreshAt: number } | undefined
  let running: Promise<string> | undefined
  const fetchToken = () =>
    new Promise<string>((resolve, reject) => {
      execFile('/bin/sh', ['-c', command], { env: options.env ?? process.env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 }, (error, stdout, stderr) => {
        const token = stdout.trim()
        if (error || token === '' || /\s/.test(token)) {
          const why = error ? (error.killed ? 'it timed out' : `it exited with ${String(error.code)}`) : token === '' ? 'it printed nothing' : 'it printed more than one word'
          const said = stderr.trim().split('\n')[0]
          return reject(new Error(`the token command failed: ${why}${said ? `: ${said.slice(0, 300)}` : ''}`))
        }
        cached = { token, refreshAt: refreshTime(token, now()) }
        resolve(token)
      })
    })
  return {
    async token({ fresh = false } = {}) {
      if (!fresh && cached && now() < cached.refreshAt) return cached.token
      // Requests made together share one run of the command.
      running ??= fetchToken().finally(() => (running = undefined))
      return running
    },
  }
}

/** When to fetch a JWT again: once less than half its lifetime, and at most 30 s, is left; never for other tokens. */
function refreshTime(token: string, now: number): number {
  const claims = jwtClaims(token)
  if (typeof claims?.exp !== 'number') return Number.POSITIVE_INFINITY
  const exp = claims.exp * 1000
  const lifetime = typeof claims.iat === 'number' ? exp - claims.iat * 1000 : 60_000
  return exp - Math.min(30_000, Math.max(0, lifetime / 2))
}

function jwtClaims(token: string): { exp?: unknown; iat?: unknown } | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown; iat?: unknown }
  } catch {
    return undefined
  }
}
