import type { Migration, MigrationProvider } from 'kysely'
import { migration0001 } from './0001-actions-reviews-audit.js'
import { migration0002 } from './0002-execution.js'
import { migration0003 } from './0003-channel-outbox.js'
import { migration0004 } from './0004-console-sessions.js'
import { migration0005 } from './0005-teams-conversations.js'
import { migration0006 } from './0006-webhooks.js'
import { migration0007 } from './0007-token-issuer.js'
import { migration0008 } from './0008-audit-merkle.js'
import { migration0009 } from './0009-review-grants.js'
import { migration0010 } from './0010-passkeys.js'
import { migration0011 } from './0011-policy-replay.js'
import { migration0012 } from './0012-routing.js'
import { migration0013 } from './0013-break-glass.js'
import { migration0014 } from './0014-delegations.js'
import { migration0015 } from './0015-audit-retention.js'

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
  '0008-audit-merkle': migration0008,
  '0009-review-grants': migration0009,
  '0010-passkeys': migration0010,
  '0011-policy-replay': migration0011,
  '0012-routing': migration0012,
  '0013-break-glass': migration0013,
  '0014-delegations': migration0014,
  '0015-audit-retention': migration0015,
}

/** Kysely's migration provider over the migrations compiled into the program. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
}
