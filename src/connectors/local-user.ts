import { execFileSync } from 'node:child_process'

/** An account of this host, as `getent passwd` reports it. */
export interface LocalUser {
  readonly name: string
  readonly uid: number
  readonly gid: number
  readonly home: string
}

/**
 * Looks a user up by name or numeric uid through the system's name service (so LDAP and other
 * NSS sources count, not only /etc/passwd); `undefined` when there is no such user.
 */
export function lookupUser(user: string): LocalUser | undefined {
  let line: string
  try {
    line = execFileSync('getent', ['passwd', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
  } catch {
    return undefined
  }
  const [name, , uid, gid, , home] = line.trim().split('\n')[0]!.split(':')
  if (name === undefined || uid === undefined || gid === undefined || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return undefined
  return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/' }
}
