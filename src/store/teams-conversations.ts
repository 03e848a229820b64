import type { Kysely, Selectable } from 'kysely'
import type { StoreConnection } from './connection/index.js'
import type { Database, TeamsConversationsTable } from './schema.js'

/** A Teams conversation the bot is in: enough to post to it later (a "conversation reference"). */
export interface TeamsConversation {
  readonly conversationId: string
  readonly tenantId: string
  readonly serviceUrl: string
  /** `channel`, `groupChat` or `personal`. */
  readonly conversationType: string
  readonly teamId: string | null
  readonly name: string | null
  /** A 1:1 chat: the person's Teams user id. */
  readonly userId: string | null
  /** A 1:1 chat: the person's canonical email, once looked up. */
  readonly userEmail: string | null
  readonly removedAt: Date | null
}

/** What an install or a conversation update tells about a conversation. */
export type TeamsConversationSeen = Omit<TeamsConversation, 'removedAt' | 'userEmail'> & { readonly userEmail?: string | null | undefined }

/**
 * The Teams conversations the bot was added to, from the install and `conversationUpdate`
 * activities the Bot Connector sends: where to reach a channel (its service URL) and a person's
 * 1:1 chat (by their email). Shared by every replica: any of them may receive the install and
 * any may post later.
 */
export class TeamsConversationStore {
  readonly #db: Kysely<Database>
  readonly #clock: () => Date

  constructor(connection: StoreConnection<Database>, clock: () => Date = () => new Date()) {
    this.#db = connection.db
    this.#clock = clock
  }

  /** Records (or refreshes) a conversation the bot is in; an email already known is kept unless a new one is given. */
  async remember(seen: TeamsConversationSeen): Promise<void> {
    const now = this.#clock()
    const row = {
      conversation_id: seen.conversationId,
      tenant_id: seen.tenantId,
      service_url: seen.serviceUrl,
      conversation_type: seen.conversationType,
      team_id: seen.teamId,
      name: seen.name,
      user_id: seen.userId,
      user_email: seen.userEmail ?? null,
      installed_at: now,
      updated_at: now,
      removed_at: null,
    }
    await this.#db
      .insertInto('teams_conversations')
      .values(row)
      .onConflict((conflict) =>
        conflict.column('conversation_id').doUpdateSet((eb) => ({
          tenant_id: row.tenant_id,
          service_url: row.service_url,
          conversation_type: row.conversation_type,
          team_id: eb.fn.coalesce(eb.val(row.team_id), eb.ref('teams_conversations.team_id')),
          name: eb.fn.coalesce(eb.val(row.name), eb.ref('teams_conversations.name')),
          user_id: eb.fn.coalesce(eb.val(row.user_id), eb.ref('teams_conversations.user_id')),
          user_email: eb.fn.coalesce(eb.val(row.user_email), eb.ref('teams_conversations.user_email')),
          updated_at: now,
          removed_at: null,
        })),
      )
      .execute()
  }

  /** Marks a conversation the bot was removed from (uninstalled, or removed from the team). */
  async forget(conversationId: string): Promise<void> {
    const now = this.#clock()
    await this.#db.updateTable('teams_conversations').set({ removed_at: now, updated_at: now }).where('conversation_id', '=', conversationId).execute()
  }

  /** A conversation by id, removed or not. */
  async find(conversationId: string): Promise<TeamsConversation | undefined> {
    const row = await this.#db.selectFrom('teams_conversations').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst()
    return row && conversationOf(row)
  }

  /** The 1:1 chat the bot has with the person whose canonical email is `email`, in `tenantId` (the newest, if several). */
  async personal(tenantId: string, email: string): Promise<TeamsConversation | undefined> {
    const row = await this.#db
      .selectFrom('teams_conversations')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_email', '=', email)
      .where('conversation_type', '=', 'personal')
      .where('removed_at', 'is', null)
      .orderBy('updated_at', 'desc')
      .limit(1)
      .executeTakeFirst()
    return row && conversationOf(row)
  }

  /** The service URL the Bot Connector used most recently for `tenantId`: Teams serves a tenant from one region. */
  async latestServiceUrl(tenantId: string): Promise<string | undefined> {
    const row = await this.#db.selectFrom('teams_conversations').select('service_url').where('tenant_id', '=', tenantId).orderBy('updated_at', 'desc').limit(1).executeTakeFirst()
    return row?.service_url
  }
}

function conversationOf(row: Selectable<TeamsConversationsTable>): TeamsConversation {
  return {
    conversationId: row.conversation_id,
    tenantId: row.tenant_id,
    serviceUrl: row.service_url,
    conversationType: row.conversation_type,
    teamId: row.team_id,
    name: row.name,
    userId: row.user_id,
    userEmail: row.user_email,
    removedAt: row.removed_at,
  }
}
