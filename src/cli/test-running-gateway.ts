import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { pino } from 'pino'
import { loadConfig } from '../config/index.js'
import { startGateway, type RunningGateway } from '../server/index.js'
import { writeTestConfig, type TestConfigFile } from '../server/test-process.js'
import { TEST_POSTGRES_URL } from '../store/connection/index.js'

/** A gateway started as `serve` starts it, from a written test config, on a new PostgreSQL database of its own. */
export interface RunningTestGateway {
  readonly config: TestConfigFile
  readonly gateway: RunningGateway
  /** Stops the gateway and drops its database. */
  close(): Promise<void>
}

async function onServer(statement: string): Promise<void> {
  const admin = new pg.Client(TEST_POSTGRES_URL)
  await admin.connect()
  try {
    await admin.query(statement)
  } finally {
    await admin.end()
  }
}

/** `prefix`: the start of the database's name (a random suffix follows). */
export async function startTestGatewayOnPostgres(prefix: string): Promise<RunningTestGateway> {
  const database = `${prefix}_${randomBytes(6).toString('hex')}`
  await onServer(`create database ${database}`)
  const config = writeTestConfig({ database_url: TEST_POSTGRES_URL.replace(/\/[^/]*$/, `/${database}`) })
  const gateway = await startGateway(loadConfig(config.file), { logger: pino({ level: 'silent' }) })
  return {
    config,
    gateway,
    close: async () => {
      await gateway.close()
      await onServer(`drop database if exists ${database} with (force)`)
    },
  }
}
