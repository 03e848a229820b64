import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { pino } from 'pino'
import { resolveSecret, urlOfListen, type Config } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import { openEmbedded, openPostgres, type Database, type StoreConnection } from '../store/index.js'
import { startPgListener, type PgListener } from '../pgwire/index.js'
import { assembleGateway, type AssembledGateway, type AssembleOptions } from './assemble.js'

/** A gateway serving HTTP. */
export interface RunningGateway extends Omit<AssembledGateway, 'app'> {
  /** Base URL of the API, e.g. `http://127.0.0.1:8470`. */
  readonly url: string
  /** Where `server.postgres` listens (the real port), when configured. */
  readonly postgres?: { readonly host: string; readonly port: number } | undefined
}

/** Options of a serving gateway that are not part of the config file. */
export interface StartOptions extends Omit<AssembleOptions, 'publicUrl'> {
  /** Overrides `server.listen`'s port (`serve --port`). */
  readonly port?: number | undefined
}

/**
 * Starts a gateway from a validated config: opens the store (the embedded store's data
 * directory locked, or PostgreSQL), listens, and assembles the gateway behind the socket.
 */
export async function startGateway(config: Config, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? pino({ level: process.env['LOG_LEVEL'] ?? 'info' })
  // The store first: a second process on the same data directory is refused before it binds a port.
  const connection = await openStore(config)
  // Then listen: with port 0 (or --port) the links sent to people need the real port.
  let fetch: (request: Request) => Response | Promise<Response> = () => new Response(null, { status: 503 })
  let server: ServerType
  try {
    server = await listen((request) => fetch(request), config.server.host, options.port ?? config.server.port)
  } catch (error) {
    await connection.close()
    throw error
  }
  const address = server.address() as AddressInfo
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
  const derived = config.server.public_url === urlOfListen(config.server.host, config.server.port)
  let assembled: AssembledGateway
  try {
    assembled = await assembleGateway(config, connection, { ...options, logger, ...(derived && { publicUrl: url }) })
  } catch (error) {
    server.close()
    throw error
  }
  fetch = assembled.app.fetch
  let pgListener: PgListener | undefined
  if (config.server.postgres) {
    const publicUrl = derived ? url : config.server.public_url
    pgListener = await startPgListener({ config, listen: config.server.postgres, gateway: assembled.gateway, publicUrl, logger }).catch(async (error: unknown) => {
      server.close()
      await assembled.close()
      throw error
    })
  }
  logger.info({ url, store: config.store.kind, policy_version: assembled.policy.current.version }, 'countersign is serving')
  const { app: _app, ...parts } = assembled
  let closing: Promise<void> | undefined
  return {
    ...parts,
    url,
    ...(pgListener && { postgres: pgListener.address }),
    close: () =>
      (closing ??= (async () => {
        await pgListener?.close()
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          // Long-polls and event streams would hold close() for up to a minute: end them now.
          ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
        })
        await assembled.close()
      })()),
  }
}

/** Opens the store a config names: the embedded one (locked) or PostgreSQL. */
export function openStore(config: Config): Promise<StoreConnection<Database>> {
  if (config.store.kind === 'embedded') return openEmbedded<Database>({ dataDir: config.store.data_dir })
  const url = typeof config.store.database_url === 'string' ? config.store.database_url : resolveSecret(config.store.database_url)
  return openPostgres<Database>({ url, poolSize: config.store.pool_size })
}

function listen(fetch: (request: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server))
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'the address is in use (another gateway? choose another with --port or server.listen)' : error.code === 'EACCES' ? 'permission denied' : error.message
      reject(new CountersignError('CONFLICT', `cannot listen on ${hostname}:${port}: ${why}`))
    })
  })
}
