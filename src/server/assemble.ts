import { PasskeyService } from '../passkeys/index.js'
import { join } from 'node:path'
import type { OpenAPIHono } from '@hono/zod-openapi'
import { pino, type Logger } from 'pino'
import { loadAnalyzers } from '../analyzers/index.js'
import { ConnectorSet, connectorProblems, gatewaySecretsOf } from '../connectors/index.js'
import { startChannels, type ChannelTuning } from '../channels/index.js'
import { startWebhooks, type WebhookTuning } from '../channels/webhooks/index.js'
import { createConsole } from '../console/index.js'
import { CountersignError, formatDetail } from '../errors/index.js'
import type { CompiledPolicy } from '../policy/index.js'
import { directoryOf, type Config, type Directory } from '../config/index.js'
import { createApp, Metrics } from '../http/index.js'
import { mountMcp, ToolCatalog } from '../mcp/index.js'
import type { AppEnv } from '../http/env.js'
import { parseWitnessKey } from '../audit/index.js'
import { AuditLog, Authenticator, Background, Executor, Gateway, POLICY_TARGET, PolicyChanges, Receipts, SqlCatalogs, Waiters, WorkloadIdentity, type ConnectorSource } from '../service/index.js'
import { Store, type Database, type StoreConnection } from '../store/index.js'
import { startTelemetry } from '../telemetry/index.js'
import { PolicyHolder } from './policy-holder.js'
import { OnCallResolver } from '../service/oncall.js'
import { auditSignerFor, GENERATED_KEY_FILE, previousKeysFor } from './signing-key.js'

/** Options that are not part of the config file. */
export interface AssembleOptions {
  readonly logger?: Logger | undefined
  readonly clock?: () => Date
  /** Expiry sweep period (tests shorten it). */
  readonly sweepMs?: number
  /** Base URL for links to people, when it differs from `server.public_url` (e.g. the real port). */
  readonly publicUrl?: string
  /** Where brokered actions' connectors come from (tests may pass their own set). */
  readonly connectors?: ConnectorSource & { close?(): Promise<void> }
  /** Overrides `execution.lease` (tests shorten it). */
  readonly leaseMs?: number
  /** Overrides the channel outbox's periods (tests shorten them). */
  readonly channels?: ChannelTuning
  /** Overrides the webhook senders' periods (tests shorten them). */
  readonly webhooks?: WebhookTuning
  /** Where the web console's built assets are (default: `console/dist`). */
  readonly consoleAssets?: string
  /** Overrides `mcp.hold` and how often a held MCP call reports progress, in ms (tests shorten them). */
  readonly mcp?: { readonly holdMs?: number; readonly progressMs?: number }
  /** With `policy.source: store`: how often the store is asked for a new policy version, in ms (0: never; tests call `reloadPolicy`). */
  readonly policyPollMs?: number
}

/** A gateway put together from its parts, not yet listening. */
export interface AssembledGateway {
  readonly app: OpenAPIHono<AppEnv>
  readonly gateway: Gateway
  readonly auditLog: AuditLog
  readonly policy: PolicyHolder
  readonly store: Store
  readonly executor: Executor
  /** Reloads the policy file (SIGHUP); an invalid file is logged and the last valid policy stays. */
  reloadPolicy(): Promise<void>
  /** Stops background work, finishes queued writes, signs a last checkpoint and closes the store. */
  close(): Promise<void>
}

/**
 * Builds a gateway on an open store connection: analyzers and policy first (an invalid policy
 * stops it here), then the store's migrations, the audit key, the service, the HTTP app and the
 * background work (started). The connection is closed by `close()`, or at once on failure.
 */
export async function assembleGateway(config: Config, connection: StoreConnection<Database>, options: AssembleOptions = {}): Promise<AssembledGateway> {
  const logger = options.logger ?? pino({ level: process.env['LOG_LEVEL'] ?? 'info' })
  let store: Store | undefined
  try {
    // The tools the MCP gateway lists from its upstreams: where the mcp analyzer reads their annotations.
    const tools = new ToolCatalog({ logger })
    const analyzers = await loadAnalyzers({ tools })
    const policy = new PolicyHolder(config.policy, analyzers, channelTypesOf(config), Object.keys(config.calendars ?? {}))
    store = await Store.open(connection, options.clock ? { clock: options.clock } : {})
    const key = auditSignerFor(config)
    const waiters = await Waiters.start(store)
    const storeMode = config.policy_source === 'store'
    // In store mode the built-in `policy` target carries policy changes; its connector puts them in force.
    const directory = storeMode ? withPolicyTarget(directoryOf(config)) : directoryOf(config)
    // The catalogs of postgres targets, read with their connectors' credentials when SQL for them is analyzed.
    const clock = options.clock
    const sqlCatalogs = new SqlCatalogs({
      directory,
      ...(clock && { clock: () => clock().getTime() }),
      onError: (target, message) => logger.warn({ target, err: message }, 'target catalog unavailable: its SQL is judged by name only (catalog_checked false)'),
    })
    // Traces only when telemetry.otlp_endpoint is set; otherwise the OpenTelemetry SDK is not loaded.
    const telemetry = await startTelemetry(config.telemetry)
    const passkeys = new PasskeyService(store, options.publicUrl ?? config.server.public_url, options.clock)
    const policyChanges = storeMode ? new PolicyChanges({ store, directory, analyzers, slot: policy, logger, ...(options.clock && { clock: options.clock }) }) : undefined
    const gateway = new Gateway({ store, directory, analyzers, policy: () => policy.current, waiters, sqlCatalogs, telemetry, passkeys, policyChanges, calendars: config.calendars, onCall: new OnCallResolver(config.oncall, { logger, ...(options.clock && { clock: options.clock }) }), ...(options.clock && { clock: options.clock }) })
    const previousKeys = previousKeysFor(config)
    const auditLog = new AuditLog(store, key, options.clock, previousKeys, {
      ...(config.audit.origin !== undefined && { origin: config.audit.origin }),
      witnesses: config.audit.witnesses.map((text) => parseWitnessKey(text)),
      checkpointIntervalMs: config.audit.checkpoint_interval_ms,
      witnessQuorum: config.audit.witness_quorum,
    })
    // Workload identity: CI jobs and agents with an OIDC token from a configured issuer instead of a stored token.
    const workload = config.identities.workload?.length ? new WorkloadIdentity(config.identities.workload, { logger }) : undefined
    const authenticator = new Authenticator(directory, store, options.clock, workload)
    const publicUrl = options.publicUrl ?? config.server.public_url
    const receipts = new Receipts(key, publicUrl, previousKeys)
    const problems = config.targets.flatMap((target) => (target.connector ? connectorProblems(target) : []))
    if (problems.length > 0) throw new CountersignError('INVALID', `invalid connector options: ${problems.join('; ')}`)
    const configured: ConnectorSource & { close?(): Promise<void> } = options.connectors ?? new ConnectorSet(gatewaySecretsOf(config, config.store.kind === 'embedded' ? [join(config.store.data_dir, GENERATED_KEY_FILE)] : []))
    const connectors: ConnectorSource & { close?(): Promise<void> } = policyChanges
      ? { get: (target) => (target.kind === 'policy' ? policyChanges.connector : configured.get(target)), close: () => configured.close?.() ?? Promise.resolve() }
      : configured
    const executor = new Executor({ gateway, connectors, logger, leaseMs: options.leaseMs ?? config.execution.lease, concurrency: config.execution.concurrency })
    const metrics = new Metrics({ defaults: true, breakGlassOverdue: () => gateway.store.countOverdueBreakGlass(gateway.now()) })
    metrics.auditWitnesses = () => auditLog.witnessStatus()
    gateway.whenDecided((record) => {
      const shadow = record.decision['shadow'] as { rules?: { id: string; effect: string; matched: boolean }[] } | undefined
      for (const rule of shadow?.rules ?? []) if (rule.matched) metrics.shadowHits.inc({ rule: rule.id, effect: rule.effect })
    })
    const opened = store
    const recordPolicy = (compiled: CompiledPolicy) =>
      opened.appendEvents([{ type: 'policy.loaded', action_id: null, actor: 'system', channel: 'system', digest: null, policy_version: compiled.version, data: { file: policy.file, rules: compiled.rules.length } }])
    // In store mode the store's newest version is in force (seeded from the file once); it records its own load.
    const loaded = policyChanges ? await policyChanges.start(policy.readText(), options.policyPollMs ?? 5000) : false
    if (!loaded) await recordPolicy(policy.current)

    const web = createConsole({ config, directory, store, publicUrl, logger, ...(options.clock && { clock: options.clock }), assetsDir: options.consoleAssets })
    const app = createApp({
      session: web.sessions.authenticate,
      gateway,
      authenticator,
      auditLog,
      receipts,
      metrics,
      logger,
      publicUrl,
      bodyLimit: config.server.body_limit,
      trustProxy: config.server.trust_proxy,
      ready: async () => {
        await opened.auditHead()
        return true
      },
    })
    // Before background work starts: a channel that cannot start (a missing secret) stops the gateway here.
    const channels = await startChannels({ config, gateway, publicUrl, logger, tuning: options.channels })
    for (const route of channels.routes) app.post(route.path, (c) => route.handle(c.req.raw))
    const webhooks = await startWebhooks({ config, store, publicUrl, logger, tuning: options.webhooks, ...(options.clock && { clock: options.clock }) })
    web.mount(app)
    mountMcp(app, {
      gateway,
      connectors,
      catalog: tools,
      authenticator,
      targets: config.targets,
      publicUrl,
      bodyLimit: config.server.body_limit,
      holdMs: options.mcp?.holdMs ?? config.mcp.hold_ms,
      reissueWindowMs: config.mcp.reissue_window_ms,
      ...(options.mcp?.progressMs !== undefined && { progressMs: options.mcp.progressMs }),
      logger,
    })
    const background = new Background({ gateway, audit: auditLog, logger, checkpointMs: config.audit.checkpoint_interval_ms, ...(options.sweepMs && { sweepMs: options.sweepMs }) })
    background.start()
    executor.start()

    let closing: Promise<void> | undefined
    return {
      app,
      gateway,
      auditLog,
      policy,
      store,
      executor,
      reloadPolicy: async () => {
        if (policyChanges) {
          // The store is the policy's source: the file only seeded it.
          await policyChanges.refresh().catch((error: unknown) => logger.error({ err: error }, 'reading the policy in force from the store failed; the last one stays'))
          return
        }
        try {
          const next = policy.compile()
          if (next.version === policy.current.version) return
          // Recorded first: no decision is made under a policy the audit log does not name.
          await recordPolicy(next)
          policy.use(next)
          logger.info({ policy_version: next.version, file: policy.file }, 'policy reloaded')
        } catch (error) {
          const problems = error instanceof CountersignError ? error.details.map(formatDetail) : []
          logger.error({ file: policy.file, problems, err: error instanceof CountersignError ? error.message : error }, 'policy reload failed; the last valid policy stays in force')
        }
      },
      close: () =>
        (closing ??= (async () => {
          policyChanges?.stop()
          await channels.stop()
          await webhooks.stop()
          await executor.stop()
          await connectors.close?.()
          await sqlCatalogs.close()
          await background.stop()
          await waiters.stop()
          await telemetry.shutdown()
          await opened.close()
        })()),
    }
  } catch (error) {
    await (store ?? connection).close()
    throw error
  }
}

/** The channel types this gateway asks humans in: the console always, the others once configured. */
export function channelTypesOf(config: Config): readonly string[] {
  return ['console', ...(config.channels.slack ? ['slack'] : []), ...(config.channels.teams ? ['teams'] : []), ...(config.channels.webhooks.length > 0 ? ['webhook'] : []), ...(config.channels.email ? ['email'] : [])]
}

/** The config's directory with the built-in `policy` target (store mode), which no config target may shadow. */
function withPolicyTarget(directory: Directory): Directory {
  return {
    human: (email) => directory.human(email),
    agent: (id) => directory.agent(id),
    target: (name) => (name === POLICY_TARGET.name ? POLICY_TARGET : directory.target(name)),
    tokenSubject: (sha256) => directory.tokenSubject(sha256),
  }
}
