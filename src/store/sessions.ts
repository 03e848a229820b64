import type { Kysely, Selectable } from 'kysely'
import type { ConsoleSessionsTable, Database } from './schema.js'

/** A web console session as stored: the id's hash, never the id. */
export interface SessionRecord {
  /** SHA-256 (hex) of the session id the browser holds. */
  readonly idSha256: string
  /** Canonical email of the signed-in human. */
  readonly email: string
  /** Groups the identity provider asserted at sign-in. */
  readonly groups: readonly string[]
  /** How the human signed in. */
  readonly method: 'oidc' | 'dev'
  readonly createdAt: Date
  readonly expiresAt: Date
}

/**
 * The web console's sessions, in the store so that every replica knows every session and a
 * sign-out ends it everywhere at once. Sessions are not audit events: signing in changes no
 * action; what a human does while signed in is audited where it happens.
 */
export class SessionStore {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /** Stores a new session, and drops the expired ones while at it (sign-ins are rare; sweeps would be one more job). */
  async create(session: SessionRecord): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.deleteFrom('console_sessions').where('expires_at', '<=', session.createdAt).execute()
      await tx
        .insertInto('console_sessions')
        .values({
          id_sha256: session.idSha256,
          email: session.email,
          groups: JSON.stringify(session.groups),
          method: session.method,
          created_at: session.createdAt,
          expires_at: session.expiresAt,
        })
        .execute()
    })
  }

  /** The live session with this id hash at `now`, or `undefined` (unknown or expired). */
  async find(idSha256: string, now: Date): Promise<SessionRecord | undefined> {
    const row = await this.#db.selectFrom('console_sessions').selectAll().where('id_sha256', '=', idSha256).where('expires_at', '>', now).executeTakeFirst()
    return row && sessionRecord(row)
  }

  /** Ends a session; ending one that is gone already is not an error. */
  async delete(idSha256: string): Promise<void> {
    await this.#db.deleteFrom('console_sessions').where('id_sha256', '=', idSha256).execute()
  }
}

function sessionRecord(row: Selectable<ConsoleSessionsTable>): SessionRecord {
  const groups = JSON.parse(row.groups) as unknown
  return {
    idSha256: row.id_sha256,
    email: row.email,
    groups: Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : [],
    method: row.method === 'oidc' ? 'oidc' : 'dev',
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  }
}
