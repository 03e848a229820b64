import type { Calendars } from '../policy/index.js'
import type { ActionKind } from '../action/index.js'
import type { SqlDialect } from '../analyzers/analyzer.js'
import type { SecretRef } from './secret-ref.js'

/** `server`: where the gateway listens and how it is reached. */
export interface ServerConfig {
  /** As written (or the default): `127.0.0.1:8470`, `[::1]:8470`. */
  readonly listen: string
  /** The host part, IPv6 without brackets (what `net.Server.listen` takes). */
  readonly host: string
  /** 0–65535; 0 lets the system choose. */
  readonly port: number
  /** Base of links sent to approvers, without a trailing slash; derived from `listen` when not set. */
  readonly public_url: string
  /** Largest request body accepted, in bytes. */
  readonly body_limit: number
  /**
   * The reverse proxies whose forwarded headers (`Forwarded`, `X-Forwarded-For/-Proto/-Host`) are
   * believed: `false` none, `true` a proxy on this host (loopback), or their addresses and CIDR blocks.
   */
  readonly trust_proxy: boolean | readonly string[]
  /** `server.postgres`: the PostgreSQL wire gateway; absent means off. */
  readonly postgres?: PostgresListenerConfig | undefined
}

/** `server.postgres`: where the PostgreSQL wire gateway listens, its TLS, and how long a statement under review is held. */
export interface PostgresListenerConfig {
  readonly host: string
  readonly port: number
  /** Absolute paths of the PEM certificate chain and key; without them SSLRequest is answered `N`. */
  readonly tls?: { readonly cert: string; readonly key: string } | undefined
  /** `hold`, in ms (default 50 s). */
  readonly hold_ms: number
  /**
   * `max_result`, in bytes (default 64 MiB): the most a statement's result (rows or COPY data)
   * may weigh. Results are held in memory until the statement's outcome is recorded; a larger one
   * is cancelled on the target and fails with SQLSTATE 54000. The configuration always sets it.
   */
  readonly max_result_bytes?: number
}

/** `store`: the embedded store in a data directory, or PostgreSQL. */
export type StoreConfig =
  | {
      readonly kind: 'embedded'
      /** Absolute path of the data directory (PGlite, generated keys, lock file). */
      readonly data_dir: string
    }
  | {
      readonly kind: 'postgres'
      /** A reference to the URL, or a literal URL that carries no password. */
      readonly database_url: SecretRef | string
      readonly pool_size: number
    }

/** A human from `identities.humans`. */
export interface HumanConfig {
  /** Lower-cased: the canonical identity. */
  readonly email: string
  readonly name?: string
  /** The groups given on this entry only; see the directory for the merged set. */
  readonly groups: readonly string[]
  /** SHA-256 (lower-case hex) of the human's personal API tokens. */
  readonly token_sha256: readonly string[]
}

/** An agent from `identities.agents`. */
export interface AgentConfig {
  readonly id: string
  /** Lower-cased email of the human who answers for the agent. */
  readonly owner: string
  readonly labels: Readonly<Record<string, string>>
  readonly description?: string
  /** SHA-256 (lower-case hex) of the agent's tokens. */
  readonly token_sha256: readonly string[]
}

/** `identities`: who may act, and in which roles. Emails are lower-cased. */
export interface IdentitiesConfig {
  readonly humans: readonly HumanConfig[]
  readonly agents: readonly AgentConfig[]
  /** Extra group membership, besides `humans[].groups`: group → emails. */
  readonly groups: Readonly<Record<string, readonly string[]>>
  readonly admins: readonly string[]
  readonly auditors: readonly string[]
  /** Lower-cased domains whose emails are accepted besides configured humans (e.g. from OIDC). */
  readonly allowed_domains: readonly string[]
  /** Issuers of OIDC tokens that agents (CI jobs) authenticate with instead of a stored token. */
  readonly workload?: readonly WorkloadIssuerConfig[]
}

/**
 * One entry of `identities.workload`: tokens from `issuer` for `audience` whose claims equal a
 * rule's `match` authenticate as that rule's configured agent.
 */
export interface WorkloadIssuerConfig {
  /** Compared exactly with the token's `iss`; discovery is at `/.well-known/openid-configuration` below it. */
  readonly issuer: string
  /** Must be one of the token's `aud`. */
  readonly audience: string
  /** The issuer's key set; default: `jwks_uri` of its discovery document. */
  readonly jwks_url?: string
  /** Accepted JWS algorithms (asymmetric only). */
  readonly algorithms: readonly string[]
  readonly agents: readonly WorkloadAgentRule[]
}

/** A token whose claims equal every entry of `match` (a string, or one of a list) is agent `id`. */
export interface WorkloadAgentRule {
  readonly id: string
  readonly match: Readonly<Record<string, string | readonly string[]>>
}

/** A connector: `type` picks the implementation; its other options are checked when it is built. */
export interface ConnectorConfig {
  readonly type: string
  /** Options as written, except that credential-like strings are {@link SecretRef}s. */
  readonly [option: string]: unknown
}

/** A target from `targets`. */
export interface TargetConfig {
  readonly name: string
  readonly kind: ActionKind
  /** `env` is what policies read as `target.env`. */
  readonly labels: Readonly<Record<string, string>>
  readonly description?: string
  /**
   * `sql` targets: the grammar their SQL is read with. Defaults to `mysql` when the connector is
   * `mysql`, else `postgresql`; set `mysql` for a MySQL or MariaDB database without a connector.
   */
  readonly dialect?: SqlDialect
  /** Present when Countersign executes the target's actions itself (brokered). */
  readonly connector?: ConnectorConfig
}

/** `execution`: how brokered actions are run. */
export interface ExecutionConfig {
  /** How long an execution's claim holds without renewal, in ms; a dead executor's action is failed after it. */
  readonly lease: number
  /** Actions one replica runs at once. */
  readonly concurrency: number
}

/** `mcp`: the MCP gateway (`/mcp`, `countersign mcp`). */
export interface McpConfig {
  /** How long a tool call is held waiting for its outcome (review, then the run) before it returns a pending result, in ms. */
  readonly hold_ms: number
  /** How long after a reviewed call ended an identical call gets its outcome instead of a new request, in ms. */
  readonly reissue_window_ms: number
}

/** `telemetry`: OpenTelemetry traces; without `otlp_endpoint`, none are made. */
export interface TelemetryConfig {
  /** The OTLP/HTTP endpoint of a collector (`http://collector:4318`); traces go to its `/v1/traces`. */
  readonly otlp_endpoint?: string | undefined
  /** `service.name` of the spans. */
  readonly service_name: string
  /** Headers sent with every export (a backend's API key), as secret references. */
  readonly headers: Readonly<Record<string, SecretRef>>
}

/** `audit`: the signed checkpoints of the audit chain. */
export interface AuditConfig {
  /** The Ed25519 key; when absent the gateway generates one in the data directory. */
  readonly signing_key?: SecretRef
  /**
   * Instead of `signing_key`: a signer the private key never leaves. `command` (program and
   * arguments, run without a shell) gets the message on stdin and prints the Ed25519 signature
   * (raw or base64); `public_key` (PEM) is the key it signs with.
   */
  readonly signer?: { readonly command: readonly string[]; readonly public_key: SecretRef }
  /**
   * Keys `signing_key` replaced (PEM, public or private; only the public half is used): the audit
   * chain's old checkpoints still verify with them, and the JWKS publishes them so that receipts
   * and checkpoints signed before a rotation can still be checked offline. Nothing is signed, and
   * no receipt is redeemed, with them.
   */
  readonly previous_keys: readonly SecretRef[]
  readonly checkpoint_interval_ms: number
  /** The log's name on its signed tree heads; `countersign/audit` when absent. */
  readonly origin?: string
  /** Witness verifier keys (`NAME+HEXHASH+BASE64`) whose cosignatures the gateway accepts. */
  readonly witnesses: readonly string[]
  /** How many of `witnesses` must have cosigned the newest tree head older than the checkpoint interval plus a margin (0: none). */
  readonly witness_quorum: number
}

/** `channels.slack`. */
export interface SlackConfig {
  readonly bot_token: SecretRef
  /** Absent only with Socket Mode, where requests do not come over HTTP. */
  readonly signing_secret?: SecretRef
  /** The workspace; clicks from any other are refused. */
  readonly team_id: string
  readonly default_channel?: string
  readonly dm_approvers: boolean
  readonly allowed_domains: readonly string[]
  /** With a trailing slash, as the Slack client expects. */
  readonly api_url: string
  readonly socket_mode?: { readonly app_token: SecretRef }
}

/** `channels.teams`. */
export interface TeamsConfig {
  readonly app_id: string
  readonly app_password: SecretRef
  readonly tenant_id: string
  /** Names used in policies (`teams:NAME`) → conversation ids. */
  readonly channels: Readonly<Record<string, string>>
  readonly service_url?: string
  /** A name under `channels`: where requests go when no rule names a `teams:` channel. */
  readonly default_channel?: string
  /** Also a 1:1 message to each eligible approver who has the app installed personally. */
  readonly dm_approvers: boolean
  /** Domains whose addresses are accepted besides configured humans (then as a human in no group). */
  readonly allowed_domains: readonly string[]
  /** Where the Bot Framework publishes its OpenID metadata (inbound tokens' issuer and keys). */
  readonly openid_metadata: string
  /** The Microsoft identity platform's base URL (the bot's own tokens), with a trailing slash. */
  readonly login_url: string
}

/** One entry of `channels.webhooks`. */
export interface WebhookConfig {
  readonly url: string
  /** The Standard Webhooks signing secret (`whsec_…`). */
  readonly secret: SecretRef
  /** Events to send; `undefined` sends all. */
  readonly events?: readonly string[]
  /**
   * The body of each delivery: `countersign` (`{type, timestamp, data}`), `ocsf` (one OCSF 1.3.0
   * event) or `cloudevents` (a CloudEvents 1.0 envelope, JSON format), as `audit export --format`.
   */
  readonly format: 'countersign' | 'ocsf' | 'cloudevents'
}

/** `channels`: every way a human is asked. All optional. */
export interface ChannelsConfig {
  readonly slack?: SlackConfig
  readonly teams?: TeamsConfig
  readonly webhooks: readonly WebhookConfig[]
  readonly email?: EmailConfig
}

/** `channels.email`: approval requests by email (SMTP); the console's request page is where one approves. */
export interface EmailConfig {
  readonly smtp: { readonly host: string; readonly port: number; readonly secure: boolean; readonly require_tls?: boolean | undefined; readonly user?: string | undefined; readonly password?: SecretRef | undefined }
  /** The sender, e.g. `Countersign <countersign@example.com>`. */
  readonly from: string
  /** Also mail each eligible approver the config knows. */
  readonly approvers: boolean
}

/** `console.oidc`: the OpenID Connect issuer humans sign in with (authorization code + PKCE). */
export interface OidcConfig {
  /** The issuer identifier; its discovery document is at `/.well-known/openid-configuration` below it. */
  readonly issuer: string
  readonly client_id: string
  /** Absent for a public client (PKCE only). */
  readonly client_secret?: SecretRef
  /** Always includes `openid`. */
  readonly scopes: readonly string[]
  /** The ID token or userinfo claim listing the human's groups (merged with the config's groups). */
  readonly groups_claim?: string
}

/** `console`: the web console's sign-in. */
export interface ConsoleConfig {
  readonly oidc?: OidcConfig
  /** The development sign-in (pick any configured human): the quickstart's; never with `oidc`. */
  readonly dev_login: boolean
  /** How long a console session lasts, in ms. */
  readonly session_ttl_ms: number
}

/**
 * A validated `countersign.yaml` (docs/configuration.md): deep-frozen, defaults filled in, paths
 * absolute, secrets as references. Lookups by email, id, name and token: {@link directoryOf}.
 */
export interface Config {
  /** The file it was read from (or that an in-memory config names), as given. */
  readonly file?: string
  readonly server: ServerConfig
  readonly store: StoreConfig
  /** Absolute path of the policy file (with `policy_source: store`, the policy the store is seeded with). */
  readonly policy: string
  /** `policy.source`: `file` (the file is in force, reloaded on SIGHUP) or `store` (versions in the store, changed by approved `policy` actions). */
  readonly policy_source?: 'file' | 'store'
  readonly identities: IdentitiesConfig
  readonly targets: readonly TargetConfig[]
  readonly audit: AuditConfig
  readonly channels: ChannelsConfig
  readonly execution: ExecutionConfig
  readonly console: ConsoleConfig
  readonly mcp: McpConfig
  /** Absent in configs built in code; the loader always sets it. */
  readonly telemetry?: TelemetryConfig
  /** `calendars`: named time ranges, read in policies as `calendar.NAME`; absent means none. */
  readonly calendars?: Calendars
  /** `oncall`: how `oncall:pagerduty:…` and `oncall:opsgenie:…` approvers are resolved; absent: they resolve to nobody. */
  readonly oncall?: OnCallConfig | undefined
}

/** `oncall`: the on-call vendors' REST APIs, with their keys as secret references. */
export interface OnCallConfig {
  readonly pagerduty?: { readonly api_key: SecretRef; readonly api_url: string; readonly events?: { readonly routing_key: SecretRef; readonly url: string } | undefined } | undefined
  readonly opsgenie?: { readonly api_key: SecretRef; readonly api_url: string } | undefined
  readonly cache_ms: number
}
