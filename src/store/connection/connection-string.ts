/**
 * A PostgreSQL connection string fit for messages and logs: the password (in the userinfo or a
 * `password=` parameter) becomes `***`. Works on strings that do not parse as URLs too.
 *
 * @example
 * redactConnectionString('postgres://app:s3cret@db:5432/cs') // 'postgres://app:***@db:5432/cs'
 */
export function redactConnectionString(connectionString: string): string {
  // Up to the LAST `@`: an unencoded `@` or `/` in a password must still be hidden.
  const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/is.exec(connectionString)
  let redacted = connectionString
  if (userinfo) {
    const [whole, scheme, info] = userinfo as unknown as [string, string, string]
    const user = info.split(':')[0]!
    redacted = `${scheme}${info.includes(':') ? `${user}:***` : user}@${connectionString.slice(whole.length)}`
  }
  return redacted.replace(/(^|[?&\s])(password=)[^&\s]*/gi, '$1$2***')
}

/** Removes every occurrence of the connection string's password from `text` (e.g. a driver's error message). */
export function redactPassword(text: string, connectionString: string): string {
  const password = passwordOf(connectionString)
  return password ? text.replaceAll(password, '***') : text
}

function passwordOf(connectionString: string): string | undefined {
  try {
    const url = new URL(connectionString)
    const password = url.password ? decodeURIComponent(url.password) : url.searchParams.get('password')
    return password || undefined
  } catch {
    return undefined
  }
}

/** The same server and credentials, another database (used to create and drop test databases). */
export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString)
  url.pathname = `/${encodeURIComponent(database)}`
  return url.toString()
}
