import type { ColumnType, Generated } from 'kysely'

/**
 * The tables of the store, as Kysely sees them. Documents (context, decision, impact, result) are
 * JSON in `text` columns: nothing queries inside them, and the embedded engine parses `jsonb` in
 * WebAssembly on the hot path for nothing. Action and audit texts that are hashed are kept as
 * written, so what was approved and what was chained are the exact bytes.
 */
export interface Database {
  actions: ActionsTable
  reviews: ReviewsTable
  audit_events: AuditEventsTable
  audit_head: AuditHeadTable
  audit_base: AuditBaseTable
  audit_checkpoints: AuditCheckpointsTable
  audit_cosignatures: AuditCosignaturesTable
  tokens: TokensTable
  redeemed_receipts: RedeemedReceiptsTable
  webhook_cursors: WebhookCursorsTable
  channel_cursors: ChannelCursorsTable
  channel_messages: ChannelMessagesTable
  channel_request_ids: ChannelRequestIdsTable
  console_sessions: ConsoleSessionsTable
  teams_conversations: TeamsConversationsTable
  grants: GrantsTable
  passkeys: PasskeysTable
  passkey_challenges: PasskeyChallengesTable
  policy_versions: PolicyVersionsTable
  delegations: DelegationsTable
}

/** A delegation of review rights from one human to another, for a period. */
export interface DelegationsTable {
  id: string
  from_email: string
  to_email: string
  starts_at: Timestamp
  ends_at: Timestamp
  reason: string
  created_at: Timestamp
  revoked_at: Timestamp | null
}

/** JSON text: written with `JSON.stringify`, parsed by the store when read. */
type Json = string
type Timestamp = ColumnType<Date, Date | string, Date | string>
type Int8 = ColumnType<number, number | bigint, number | bigint>

export interface ActionsTable {
  id: string
  created_at: Timestamp
  updated_at: Timestamp
  status: string
  kind: string
  target: string
  /** `agent:ID` or `human:EMAIL`. */
  submitted_by: string
  agent_id: string | null
  owner: string | null
  on_behalf_of: string | null
  /** Canonical email of the human who issued the run-time token it was submitted with (a requester). */
  token_issued_by: string | null
  /** While pending: when its next reminder or escalation falls due. */
  route_at: Timestamp | null
  /** A break-glass approval and its after-the-fact review (JSON), if any. */
  break_glass: Json | null
  /** Until its after-the-fact review: when that review is due. */
  break_glass_due: Timestamp | null
  /** An overdue break-glass was flagged (audited once). */
  break_glass_flagged: ColumnType<boolean, boolean | undefined, boolean>
  /** RFC 8785 canonical JSON of `{kind, target, payload}`: the bytes whose SHA-256 is `digest`. */
  action_json: string
  context: Json
  digest: string
  decision: Json
  impact: Json
  policy_version: string
  /** Pending: when the request expires. */
  expires_at: Timestamp | null
  /** Approved: when the approval expires unexecuted. */
  execute_by: Timestamp | null
  /** The next moment the expiry sweeper must look at this action (pending or approved only). */
  deadline: Timestamp | null
  result: Json | null
  version: number
  /** Countersign executes it (its target had a connector when it was submitted). */
  brokered: boolean
  /** Executing: the executor holding the lease (which ends at `deadline`). */
  lease_owner: string | null
  /** `{"effect","matched_rules"}` of `decision`, for replays (null before migration 0011). */
  decided: ColumnType<string | null, string | null | undefined, never>
  /** True when its events were all archived and pruned from the log (`audit archive --prune`); null otherwise. */
  archived: Generated<boolean | null>
}

export interface ReviewsTable {
  action_id: string
  reviewer: string
  decision: string
  reason: string
  channel: string
  requirements: Json
  created_at: Timestamp
  /** The grant the reviewer asked for with an approval (`{ttl_ms, max_uses}`), or null. */
  grant_request: Generated<Json | null>
  /** The passkey assertion that signed an approval (`review.assurance: passkey`), or null. */
  passkey: Generated<Json | null>
}

export interface AuditEventsTable {
  seq: Int8
  action_id: string | null
  type: string
  at: Timestamp
  prev_hash: string
  hash: string
  /** The canonical JSON text that was hashed. */
  event: string
}

export interface AuditHeadTable {
  id: number
  seq: Int8
  hash: string
}

/** Where the stored audit log starts (one row, id 1): seq 0 until events are archived and pruned. */
export interface AuditBaseTable {
  id: number
  /** The last archived event; rows start at seq + 1. */
  seq: Int8
  /** Its stored chain hash (the genesis hash when nothing was archived). */
  hash: string
  /** JSON array of base64 hashes: the compact range of the Merkle tree of events 1..seq, largest subtree first. */
  frontier: string
}

export interface AuditCheckpointsTable {
  seq: Int8
  hash: string
  at: Timestamp
  key_id: string
  prev_signature: string | null
  signature: string
  /** The signed tree head (C2SP signed note); null on checkpoints made before migration 0008. */
  note: string | null
}

/** A witness's cosignature of the tree head of the checkpoint at `seq`. */
export interface AuditCosignaturesTable {
  seq: Int8
  /** The witness's name, as `audit.witnesses` lists it. */
  witness: string
  /** The signature line, `— name base64`, without its newline. */
  line: string
  cosigned_at: Timestamp
  received_at: Timestamp
}

export interface TokensTable {
  token_sha256: string
  /** `agent` or `human`. */
  principal_type: string
  /** Agent id or canonical email. */
  subject: string
  name: string
  created_at: Timestamp
  created_by: string
  expires_at: Timestamp | null
  revoked_at: Timestamp | null
  /** A never-used column default keeps inserts short. */
  last_used_at: Generated<Timestamp | null>
}

export interface RedeemedReceiptsTable {
  /** The receipt's single-use id. */
  jti: string
  action_id: string
  redeemed_by: string
  redeemed_at: Timestamp
}

export interface ConsoleSessionsTable {
  /** SHA-256 (hex) of the session id: the id itself lives only in the browser's cookie. */
  id_sha256: string
  /** Canonical email of the signed-in human. */
  email: string
  /** JSON array: the groups the identity provider asserted at sign-in (config groups are added per request). */
  groups: Json
  /** `oidc` or `dev`. */
  method: string
  created_at: Timestamp
  expires_at: Timestamp
}

/** Per channel: the last audit event whose deliveries were derived. */
export interface ChannelCursorsTable {
  channel: string
  seq: Int8
}

/** One message a channel keeps up to date: an action announced to one destination. */
export interface ChannelMessagesTable {
  channel: string
  action_id: string
  /** As the channel names it: `#approvals`, `C0123ABCD`, `dm:alice@example.com`. */
  destination: string
  /** The channel's reference to the posted message (Slack: channel and ts), once announced. */
  ref: string | null
  /** The newest audit event the message must show. */
  wanted_seq: Int8
  /** The newest audit event the message shows (0: not posted yet). */
  sent_seq: Generated<Int8>
  /** Failed attempts since the last success. */
  attempts: Generated<number>
  next_attempt_at: Timestamp
  /** The replica sending it now, until `lease_until`. */
  lease_owner: string | null
  lease_until: Timestamp | null
  last_error: string | null
  /** Given up (a permanent failure, or too many attempts) until a newer event revives it. */
  dead_at: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
}

/** Signed inbound requests already accepted (their signature), kept until they could no longer be replayed. */
export interface ChannelRequestIdsTable {
  key: string
  expires_at: Timestamp
}

export interface WebhookCursorsTable {
  /** SHA-256 (hex) of the endpoint URL. */
  endpoint: string
  seq: Int8
  attempts: Generated<number>
  next_attempt_at: Timestamp
  lease_owner: string | null
  lease_until: Timestamp | null
  last_error: string | null
}

/** A Microsoft Teams conversation the bot is in (a team's channel, a group chat, a person's 1:1 chat). */
export interface TeamsConversationsTable {
  /** The Bot Framework conversation id (`19:…@thread.tacv2`, `a:1…` for a 1:1 chat). */
  conversation_id: string
  tenant_id: string
  /** Where the Bot Connector serves this conversation (`https://smba.trafficmanager.net/emea/`). */
  service_url: string
  /** `channel`, `groupChat` or `personal`. */
  conversation_type: string
  team_id: string | null
  /** The team's or chat's name, for operators reading the table. */
  name: string | null
  /** A 1:1 chat: the person's Teams user id (`29:…`). */
  user_id: string | null
  /** A 1:1 chat: the person's canonical email, once looked up. */
  user_email: string | null
  installed_at: Timestamp
  updated_at: Timestamp
  /** The bot was removed from the conversation. */
  removed_at: Timestamp | null
}

/** A narrowing grant (`review.grants`): the shape it admits and how long, how often. */
export interface GrantsTable {
  id: string
  /** The approved action it was made from. */
  action_id: string
  /** `agent:ID` or `human:EMAIL`: whose later actions it covers. */
  submitted_by: string
  target: string
  kind: string
  /** The shape admitted (JSON, see `GrantShape`). */
  shape: Json
  /** Rule ids of the requirements met (JSON array). */
  rules: Json
  policy_version: string
  /** `[{email, requirements}]` of the approvers who granted (JSON). */
  reviewers: Json
  created_at: Timestamp
  expires_at: Timestamp
  max_uses: number
  uses: Generated<number>
  revoked_at: Timestamp | null
  revoked_by: string | null
}

/** A person's registered WebAuthn credential (a passkey). */
export interface PasskeysTable {
  /** base64url. */
  credential_id: string
  /** Canonical email of its owner. */
  email: string
  name: string
  /** The COSE public key, base64url. */
  public_key: string
  counter: Int8
  /** JSON array of transports. */
  transports: Json
  created_at: Timestamp
  last_used_at: Timestamp | null
  revoked_at: Timestamp | null
}

/** A WebAuthn challenge handed out, good once until it expires. */
export interface PasskeyChallengesTable {
  /** base64url, as the client data carries it. */
  challenge: string
  email: string
  /** `register` or `approve`. */
  purpose: string
  action_id: string | null
  expires_at: Timestamp
  used_at: Timestamp | null
}

/** A policy put in force from the store (`policy.source: store`): never changed, the highest version is in force. */
export interface PolicyVersionsTable {
  version: number
  /** SHA-256 of `text`: the policy version decisions record. */
  sha256: string
  text: string
  created_at: Timestamp
  /** `human:EMAIL` of the proposer, or `system` for the version seeded from the file. */
  created_by: string
  /** The approved action of kind `policy` that put it in force. */
  action_id: string | null
}
