import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { z } from 'zod'
import { ACTION_KINDS } from '../action/index.js'
import { SQL_DIALECTS } from '../analyzers/analyzer.js'
import { parseWitnessKey } from '../audit/note.js'
import { CalendarsSchema } from './calendars-schema.js'
import { channelsSchema } from './channels-schema.js'
import { ByteSize, byteSize, duration, httpUrl, Labels, Listen, path, secret, urlOfListen } from './config-values.js'
import { connectorSchema } from './connector-schema.js'
import { consoleSchema } from './console-schema.js'
import { IdentitiesSchema } from './identities-schema.js'
import { looksLikeSecretRef, parseSecretRef, SECRET_RULE, type SecretRef } from './secret-ref.js'

/** Room for a payload at the largest accepted text (1,000,000 characters) plus its envelope. */
const DEFAULT_BODY_LIMIT = 1_048_576 + 65_536

/** An address or CIDR block of a reverse proxy: `10.0.0.7`, `10.0.0.0/8`, `::1`, `fd00::/8`. */
const ProxyAddress = z.string().refine((text) => {
  const [address = '', bits, ...rest] = text.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))
}, 'expected an IP address or CIDR block of a proxy (10.0.0.7, 10.0.0.0/8, ::1, fd00::/8)')

/** `server.postgres`: the PostgreSQL wire gateway; absent means off. */
function postgresListener(baseDir: string) {
  return z
    .strictObject({
      listen: Listen,
      tls: z.strictObject({ cert: path(baseDir), key: path(baseDir) }).optional(),
      hold: duration({ min: 0, max: 600_000, minText: '0s', maxText: '10m' }).prefault('50s'),
      max_result: byteSize({ min: 1024, max: 1_073_741_824, minText: '1KiB', maxText: '1GiB' }).prefault('64MiB'),
    })
    .transform(({ listen, tls, hold, max_result }) => ({ host: listen.host, port: listen.port, tls, hold_ms: hold, max_result_bytes: max_result }))
}

function serverSchema(baseDir: string) {
  return z
    .strictObject({
      listen: Listen.prefault('127.0.0.1:8470'),
      public_url: httpUrl({ trailingSlash: 'strip' }).optional(),
      body_limit: ByteSize.prefault(DEFAULT_BODY_LIMIT),
      // true: a proxy on this host (loopback); a list: proxies at those addresses. Forwarded headers
      // from any other peer are ignored.
      trust_proxy: z
        .union([z.boolean(), z.array(ProxyAddress).min(1)], 'expected a boolean (true: a proxy on this host) or a list of proxy addresses and CIDR blocks')
        .default(false),
      postgres: postgresListener(baseDir).optional(),
    })
    .transform(({ listen, public_url, body_limit, trust_proxy, postgres }) => ({
      ...listen,
      public_url: public_url ?? urlOfListen(listen.host, listen.port),
      body_limit,
      trust_proxy,
      ...(postgres && { postgres }),
    }))
}

function databaseUrl(baseDir: string) {
  return z.string('expected env:NAME, file:PATH or a postgres:// URL without a password').transform((text, ctx): SecretRef | string => {
    const fail = (message: string): never => {
      ctx.addIssue({ code: 'custom', message })
      return z.NEVER
    }
    if (looksLikeSecretRef(text)) {
      const ref = parseSecretRef(text, baseDir)
      return 'problem' in ref ? fail(ref.problem) : ref
    }
    let url: URL | undefined
    try {
      url = new URL(text)
    } catch {
      // Reported below without repeating the text: it may hold a password in a form URL cannot parse.
    }
    if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) return fail('expected env:NAME, file:PATH or a postgres:// URL without a password')
    if (url.password || url.searchParams.has('password')) {
      return fail(`a database URL with a password is a secret (${SECRET_RULE}): put it in an environment variable or a file and write env:NAME or file:PATH`)
    }
    return text
  })
}

function storeSchema(baseDir: string) {
  return z
    .strictObject({
      data_dir: path(baseDir).optional(),
      database_url: databaseUrl(baseDir).optional(),
      pool_size: z.int('expected a whole number').min(1).max(1000).optional(),
    })
    .superRefine(
      (store, ctx) => {
        if (store.data_dir !== undefined && store.database_url !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['database_url'], message: 'set either data_dir (embedded store) or database_url (PostgreSQL), not both' })
        }
        if (store.database_url === undefined && store.pool_size !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['pool_size'], message: 'pool_size applies to database_url (PostgreSQL); the embedded store uses one connection' })
        }
      },
      // Presence checks only, so they are safe on invalid values and reported with every other problem.
      { when: () => true },
    )
    .transform((store) =>
      store.database_url === undefined
        ? { kind: 'embedded' as const, data_dir: store.data_dir ?? resolve(baseDir, '.countersign') }
        : { kind: 'postgres' as const, database_url: store.database_url, pool_size: store.pool_size ?? 10 },
    )
}

/** The SQL dialect a connector type speaks. */
const CONNECTOR_DIALECT: Readonly<Record<string, string>> = { mysql: 'mysql', postgres: 'postgresql' }

function targetSchema(baseDir: string) {
  return z
    .strictObject({
      name: z.string('expected a target name').regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'expected a name of up to 128 letters, digits, ".", "_" or "-", starting with a letter or digit'),
      kind: z.enum(ACTION_KINDS),
      labels: Labels,
      description: z.string().max(2000).optional(),
      // Which grammar the target's SQL is read with: a MySQL database reached with receipts has no connector to tell.
      dialect: z.enum(SQL_DIALECTS).optional(),
      connector: connectorSchema(baseDir).optional(),
    })
    .superRefine((target, ctx) => {
      if (target.dialect === undefined) return
      if (target.kind !== 'sql') ctx.addIssue({ code: 'custom', path: ['dialect'], message: 'dialect applies to sql targets only' })
      const spoken = target.connector ? CONNECTOR_DIALECT[target.connector.type] : undefined
      if (spoken !== undefined && spoken !== target.dialect) {
        ctx.addIssue({ code: 'custom', path: ['dialect'], message: `dialect ${target.dialect} contradicts the ${target.connector?.type} connector, which speaks ${spoken}` })
      }
    })
    .transform((target) =>
      target.kind === 'sql' ? { ...target, dialect: target.dialect ?? (target.connector?.type === 'mysql' ? ('mysql' as const) : ('postgresql' as const)) } : target,
    )
}

function isWitnessKey(text: string): boolean {
  try {
    parseWitnessKey(text)
    return true
  } catch {
    return false
  }
}

function auditSchema(baseDir: string) {
  return z
    .strictObject({
      signing_key: secret(baseDir).optional(),
      // A signer that keeps the private key out of the gateway: a command (an HSM's or KMS's CLI) and the public key.
      signer: z
        .strictObject({
          command: z.array(z.string().min(1)).min(1, 'expected the program and its arguments').max(64),
          public_key: secret(baseDir),
        })
        .optional(),
      // Keys signing_key replaced: their public halves still verify old checkpoints and receipts.
      previous_keys: z.array(secret(baseDir)).max(20).default([]),
      checkpoint_interval: duration({ min: 1000, max: 86_400_000, minText: '1s', maxText: '1d' }).prefault('1m'),
      // The log's name on its signed tree heads (C2SP checkpoint origin line): keep it stable.
      origin: z.string().regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'expected one line of printable ASCII').max(200).optional(),
      // Verifier keys of the witnesses whose cosignatures are accepted (as `audit witness` prints).
      witnesses: z.array(z.string().refine(isWitnessKey, 'expected a witness key NAME+HEXHASH+BASE64, as `countersign audit witness` prints')).max(50).default([]),
      // How many of those witnesses must have cosigned each tree head once it is an interval plus a margin old.
      witness_quorum: z.int('expected a whole number').min(0).max(50).default(0),
    })
    .refine((audit) => audit.witness_quorum <= audit.witnesses.length, { path: ['witness_quorum'], message: 'a witness quorum cannot exceed the number of audit.witnesses listed' })
    .refine((audit) => !(audit.signing_key && audit.signer), { path: ['signer'], message: 'give audit.signing_key or audit.signer, not both' })
    .transform(({ signing_key, signer, previous_keys, checkpoint_interval, origin, witnesses, witness_quorum }) => ({
      ...(signing_key ? { signing_key } : {}),
      ...(signer ? { signer } : {}),
      previous_keys,
      checkpoint_interval_ms: checkpoint_interval,
      ...(origin !== undefined && { origin }),
      witnesses,
      witness_quorum,
    }))
}

/** `execution`: how brokered actions are run. */
const Execution = z.strictObject({
  // Long enough to ride out a slow store round trip; short enough that a crashed replica's action is failed soon.
  lease: duration({ min: 1000, max: 3_600_000, minText: '1s', maxText: '1h' }).prefault('30s'),
  concurrency: z.int('expected a whole number').min(1).max(256).default(8),
})

/** `mcp`: the MCP gateway. The hold stays under the 60 s request timeout of common MCP clients. */
const Mcp = z
  .strictObject({
    hold: duration({ min: 0, max: 600_000, minText: '0s', maxText: '10m' }).prefault('50s'),
    reissue_window: duration({ min: 0, max: 7 * 86_400_000, minText: '0s', maxText: '7d' }).prefault('15m'),
  })
  .transform(({ hold, reissue_window }) => ({ hold_ms: hold, reissue_window_ms: reissue_window }))

/** `telemetry`: OpenTelemetry traces over OTLP/HTTP; off without `otlp_endpoint`. */
function telemetrySchema(baseDir: string) {
  return z.strictObject({
    otlp_endpoint: httpUrl({ trailingSlash: 'strip' }).optional(),
    service_name: z.string('expected a name').min(1).max(200).default('countersign'),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'expected a header name'), secret(baseDir)).default({}),
  })
}

/** Where the policy in force lives: its file, or the store (changed by approved `policy` actions). */
export const POLICY_SOURCES = ['file', 'store'] as const

/** `oncall`: the vendors that `oncall:pagerduty:SCHEDULE` and `oncall:opsgenie:SCHEDULE` approvers are resolved with. */
function onCallSchema(baseDir: string) {
  return z
    .strictObject({
      pagerduty: z
        .strictObject({
          api_key: secret(baseDir),
          api_url: httpUrl({ trailingSlash: 'strip' }).default('https://api.pagerduty.com'),
          /** Events API v2: raise an incident when a request asks a PagerDuty schedule. */
          events: z.strictObject({ routing_key: secret(baseDir), url: httpUrl().default('https://events.pagerduty.com/v2/enqueue') }).optional(),
        })
        .optional(),
      opsgenie: z.strictObject({ api_key: secret(baseDir), api_url: httpUrl({ trailingSlash: 'strip' }).default('https://api.opsgenie.com') }).optional(),
      /** How long who is on call is remembered per schedule. */
      cache: duration({ min: 0, max: 3_600_000, minText: '0s', maxText: '1h' }).prefault('1m'),
    })
    .transform(({ cache, ...vendors }) => ({ ...vendors, cache_ms: cache }))
}

/**
 * The schema of `countersign.yaml` (docs/configuration.md) for a config whose relative paths are
 * relative to `baseDir`. `defaultPolicy` makes `policy` optional.
 */
export function configSchema(baseDir: string, defaultPolicy?: string) {
  const file = path(baseDir)
  // A path (the file is the policy in force), or {source, file}: with `source: store` the policy in
  // force lives in the store, changed through approved actions of kind `policy`; the file seeds it.
  const policy = z.union([
    file.transform((path) => ({ source: 'file' as const, file: path })),
    z.strictObject({ source: z.enum(POLICY_SOURCES).default('file'), file: defaultPolicy === undefined ? file : file.prefault(defaultPolicy) }),
  ], { error: (issue) => (issue.input === undefined ? 'missing required key "policy"' : 'expected the path of the policy file, or {source: file | store, file: PATH}') })
  return z.strictObject(
    {
      server: serverSchema(baseDir).prefault({}),
      store: storeSchema(baseDir).prefault({}),
      policy: defaultPolicy === undefined ? policy : policy.prefault(defaultPolicy),
      identities: IdentitiesSchema.prefault({}),
      targets: z.array(targetSchema(baseDir)).default([]),
      audit: auditSchema(baseDir).prefault({}),
      channels: channelsSchema(baseDir),
      execution: Execution.prefault({}),
      console: consoleSchema(baseDir),
      mcp: Mcp.prefault({}),
      telemetry: telemetrySchema(baseDir).prefault({}),
      calendars: CalendarsSchema,
      oncall: onCallSchema(baseDir).optional(),
    },
    'expected a mapping with the sections server, store, policy, identities, targets, audit, channels, execution, console, mcp, calendars, oncall',
  )
}
