import type { Migration, MigrationProvider } from 'kysely'
import { migration0001 } from './0001-actions-reviews-audit.js'
import { migration0002 } from './0002-execution.js'
import { migration0003 } from './0003-channel-outbox.js'
import { migration0004 } from './0004-console-sessions.js'
import { migration0005 } from './0005-teams-conversations.js'
import { migration0006 } from './0006-webhooks.js'
import { migration0007 } from './0007-token-issuer.js'
import { migration0008 } from './0008-routing.js'
import { migration0009 } from './0009-break-glass.js'
import { migration0010 } from './0010-delegations.js'

/**
 * The store's migrations, in order. Each is written once and never edited: a change is a new
 * migration in its own file. They use only SQL that PGlite and PostgreSQL share.
 */
const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-actions-reviews-audit': migration0001,
  '0002-execution': migration0002,
  '0003-channel-outbox': migration0003,
  '0004-console-sessions': migration0004,
  '0005-teams-conversations': migration0005,
  '0006-webhooks': migration0006,
  '0007-token-issuer': migration0007,
  '0008-routing': migration0008,
  '0009-break-glass': migration0009,
  '0010-delegations': migration0010,
}

/** Kysely's migration provider over the migrations compiled into the program. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
}
