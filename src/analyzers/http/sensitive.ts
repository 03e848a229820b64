/** What a credential-like query value reads as in facts, the `url` fact included. */
export const REDACTED = '(redacted)'

/** Words that make a name credential-like when they stand alone in it (`api_key`, `X-Amz-Signature`, `sig`). */
const SECRET_WORDS: ReadonlySet<string> = new Set([
  'token', 'secret', 'password', 'passwd', 'pwd', 'pass', 'passphrase', 'key', 'apikey', 'signature', 'sig',
  'credential', 'credentials', 'auth', 'authorization', 'jwt', 'bearer', 'session', 'sessionid', 'cookie',
  'assertion', 'otp', 'private',
])

/** Pieces that make a name credential-like wherever they appear (`accesstoken`, `clientsecret`, `xapikey`). */
const SECRET_PARTS: readonly string[] = ['token', 'secret', 'passw', 'apikey', 'signature', 'credential', 'privatekey', 'accesskey', 'sessionid']

/** Headers whose names look like credentials but carry none. */
const HARMLESS_HEADERS: ReadonlySet<string> = new Set(['idempotency-key', 'x-idempotency-key', 'sec-websocket-key', 'keep-alive'])

/** Headers that carry credentials whatever their names look like. */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie'])

/**
 * Whether a name (a query parameter, a header) looks like it carries a secret: `token`,
 * `access_token`, `apiKey`, `client-secret`, `X-Amz-Signature`, `sig`. Errs towards yes, since
 * hiding a harmless value costs an approver a click on the payload, and showing a secret leaks it
 * into the audit log for good.
 */
export function isCredentialName(name: string): boolean {
  const lower = name.toLowerCase()
  if (SECRET_PARTS.some((part) => lower.includes(part))) return true
  // camelCase and separators both split words: `apiKey`, `api_key`, `api-key`, `api.key`, `key[0]`.
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
  return words.some((word) => SECRET_WORDS.has(word))
}

/** Whether a header (name as sent, any case) carries credentials: `Authorization`, `Cookie`, `X-Api-Key`, `Private-Token`… */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase()
  if (CREDENTIAL_HEADERS.has(lower)) return true
  return !HARMLESS_HEADERS.has(lower) && isCredentialName(lower)
}
