import { randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createSecureContext } from 'node:tls'
import type { Logger } from 'pino'
import type { Config, Directory, PostgresListenerConfig, TargetConfig } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import { Authenticator, Gateway, WorkloadIdentity } from '../service/index.js'
import { PgSession } from './session.js'

/** Sessions one agent may hold at once on one listener (each holds a connection to the target). */
export const MAX_SESSIONS_PER_AGENT = 32
/** Statements one agent may have held for approval at once; past it, a statement needing review answers "pending approval" at once. */
export const MAX_HELD_PER_AGENT = 16
/** A session with no message from its client this long is closed (57P05), in a transaction or not. */
export const IDLE_TIMEOUT_MS = 10 * 60_000
/** Longest statement text (a simple query message, or one Parse); longer ones are refused (54000) and the session goes on. */
export const MAX_STATEMENT_BYTES = 1024 * 1024
/** `server.postgres.max_result` when the listener is started without it (the configuration's default). */
const MAX_RESULT_BYTES = 64 * 1_048_576

/** A listening PostgreSQL wire gateway. */
export interface PgListener {
  /** `host:port` it listens on (the real port when 0 was configured). */
  readonly address: { readonly host: string; readonly port: number }
  /** Stops listening and ends every session. */
  close(): Promise<void>
}

/** What the wire gateway is started with. */
export interface PgListenerOptions {
  readonly config: Config
  readonly listen: PostgresListenerConfig
  /** The service the HTTP API uses. */
  readonly gateway: Gateway
  readonly publicUrl: string
  readonly logger?: Logger | undefined
  /** How often a held statement sends a progress notice (default 10 s; tests shorten it). */
  readonly progressMs?: number
  /** Limits (defaults: the constants above; tests lower them). */
  readonly limits?: { readonly sessionsPerAgent?: number; readonly heldPerAgent?: number; readonly idleMs?: number; readonly statementBytes?: number }
}

/**
 * The service as the wire gateway submits to it: the same store, policy, analyzers and waiters
 * (so every statement is decided, audited and shown like any other), with its `postgres` targets
 * seen without their connector. The wire gateway runs each statement itself, on the client's own
 * session connection, so its actions take the receipt path (redeemed once, outcome reported)
 * instead of the executor's: the executor never runs them a second time.
 */
export function wireGateway(gateway: Gateway): Gateway {
  const base = gateway.directory
  const directory: Directory = Object.create(base, {
    target: { value: (name: string): TargetConfig | undefined => {
      const target = base.target(name)
      return target && ({ ...target, connector: undefined } as TargetConfig)
    } },
  }) as Directory
  return new Gateway({ store: gateway.store, directory, analyzers: gateway.analyzers, policy: () => gateway.policy, waiters: gateway.waiters, sqlCatalogs: gateway.sqlCatalogs, clock: () => gateway.now() })
}

/** Starts the PostgreSQL wire gateway (`server.postgres`). */
export async function startPgListener(options: PgListenerOptions): Promise<PgListener> {
  const { listen, gateway, config, logger } = options
  const tls = listen.tls ? createSecureContext({ cert: readFileSync(listen.tls.cert), key: readFileSync(listen.tls.key) }) : undefined
  const workload = config.identities.workload?.length ? new WorkloadIdentity(config.identities.workload, { ...(logger && { logger }) }) : undefined
  const authenticator = new Authenticator(gateway.directory, gateway.store, () => gateway.now(), workload)
  const limits = options.limits ?? {}
  const admit = counter(limits.sessionsPerAgent ?? MAX_SESSIONS_PER_AGENT)
  const hold = counter(limits.heldPerAgent ?? MAX_HELD_PER_AGENT)
  // BackendKeyData → session, for CancelRequests (which come on a connection of their own).
  const keys = new Map<string, PgSession>()
  let nextPid = randomInt(1000, 1 << 22)
  const register = (session: PgSession) => {
    const pid = nextPid++
    const secret = randomInt(1, 2 ** 31 - 1)
    keys.set(`${pid}:${secret}`, session)
    return { pid, secret, release: () => keys.delete(`${pid}:${secret}`) }
  }
  const cancel = (pid: number, secret: number) => keys.get(`${pid}:${secret}`)?.cancel()
  const sessionOptions = { gateway: wireGateway(gateway), directory: gateway.directory, authenticator, publicUrl: options.publicUrl, holdMs: listen.hold_ms, reissueWindowMs: config.mcp.reissue_window_ms, progressMs: options.progressMs ?? 10_000, tls, logger, admit, hold, register, cancel, idleMs: limits.idleMs ?? IDLE_TIMEOUT_MS, statementBytes: limits.statementBytes ?? MAX_STATEMENT_BYTES, resultBytes: listen.max_result_bytes ?? MAX_RESULT_BYTES }
  const sessions = new Set<PgSession>()
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true)
    sockets.add(socket)
    const session = new PgSession(socket, sessionOptions)
    sessions.add(session)
    socket.once('close', () => {
      sessions.delete(session)
      sockets.delete(socket)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new CountersignError('CONFLICT', `cannot listen on ${listen.host}:${listen.port} for server.postgres: ${error.code === 'EADDRINUSE' ? 'the address is in use' : error.message}`)))
    server.listen(listen.port, listen.host, () => resolve())
  })
  const address = server.address() as AddressInfo
  logger?.info({ postgres: `${address.address}:${address.port}`, tls: tls !== undefined }, 'postgres wire gateway listening')
  return {
    address: { host: address.address, port: address.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const session of sessions) session.close()
        for (const socket of sockets) socket.destroy()
      }),
  }
}

/** Slots per agent: `take(agent)` returns the slot's release, or `undefined` when the agent has `max` already. */
function counter(max: number): (agent: string) => (() => void) | undefined {
  const taken = new Map<string, number>()
  return (agent) => {
    const count = taken.get(agent) ?? 0
    if (count >= max) return undefined
    taken.set(agent, count + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (taken.get(agent) ?? 1) - 1
      if (left === 0) taken.delete(agent)
      else taken.set(agent, left)
    }
  }
}
