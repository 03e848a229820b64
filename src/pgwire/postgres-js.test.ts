import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { serve, type ServerType } from '@hono/node-server'
import pg from 'pg'
import postgres from 'postgres'
import { testSecret } from '../connectors/test-support.js'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { TEST_POSTGRES_URL, testStores, type TestStore } from '../store/connection/index.js'
import { startPgListener, type PgListener } from './index.js'

// postgres.js (npm `postgres`) has its own protocol code: it describes statements before binding,
// pipelines, and reads errors and notices itself. The same gateway must serve it as it serves libpq.

const run = promisify(execFile)
const database = `cs_pgwire_js_${randomBytes(5).toString('hex')}`
const url = new URL(TEST_POSTGRES_URL)
url.pathname = `/${database}`
const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
let db: pg.Client
let store: TestStore
let gw: TestGateway
let listener: PgListener
let http: ServerType
let apiUrl: string

before(async () => {
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  db = new pg.Client({ connectionString: url.href })
  await db.connect()
  await db.query(`CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, at timestamptz)`)
  await db.query(`INSERT INTO notes VALUES (1, 'first', '2024-05-06 07:08:09+00'), (2, 'second', NULL)`)
  store = await testStores()[0]!.open()
  gw = await testGateway(store, { targets: [{ name: 'notes-db', kind: 'sql', labels: { env: 'prod' }, connector: { type: 'postgres', url: `env:${testSecret(url.href)}` } }] })
  listener = await startPgListener({ config: gw.config, listen: { host: '127.0.0.1', port: 0, hold_ms: 60_000 }, gateway: gw.gateway, publicUrl: 'https://countersign.test' })
  // The API on a real port, so that a human approves from another process.
  http = await new Promise<ServerType>((done) => {
    const started = serve({ fetch: gw.app.fetch, hostname: '127.0.0.1', port: 0 }, () => done(started))
  })
  apiUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
})

after(async () => {
  await listener?.close()
  await new Promise((resolve) => http?.close(resolve))
  await gw?.close()
  await store?.drop()
  await db?.end()
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.end()
})

function sqlClient(options: { onnotice?: (notice: postgres.Notice) => void } = {}) {
  return postgres({ host: '127.0.0.1', port: listener.address.port, database: 'notes-db', username: 'deploy-bot', password: gw.tokens.deployBot, max: 1, ssl: false, onnotice: options.onnotice ?? (() => {}) })
}

/** A human approves with curl: another process, over HTTP, as a reviewer would from a script. */
async function approveFromAnotherProcess(id: string): Promise<void> {
  const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', `authorization: Bearer ${gw.tokens.alice}`, '-H', 'content-type: application/json', '--data', '{"decision":"approve"}', `${apiUrl}/v1/actions/${id}/reviews`])
  assert.equal(stdout, '200')
}

describe('postgres wire gateway with postgres.js', () => {
  it('reads, with parameters, and gets the target types (timestamptz, int, text)', async () => {
    const sql = sqlClient()
    try {
      const rows = await sql`SELECT id, body, at FROM notes WHERE id <= ${2} ORDER BY id`
      assert.deepEqual(rows.map((row) => ({ ...row })), [
        { id: 1, body: 'first', at: new Date('2024-05-06T07:08:09Z') },
        { id: 2, body: 'second', at: null },
      ])
      assert.deepEqual(rows.columns.map((column) => column.type), [23, 25, 1184])
    } finally {
      await sql.end()
    }
    const action = (await gw.store.listActions({ limit: 5 })).find((record) => record.actionJson.includes('FROM notes WHERE id <= $1'))!
    assert.equal(action.status, 'succeeded')
    assert.deepEqual(JSON.parse(action.actionJson).payload.params, ['2'])
  })

  it('a parameterised write is held, approved by a human from another process, and runs once', async () => {
    let approval: Promise<void> | undefined
    const sql = sqlClient({
      onnotice: (notice) => {
        const id = /request (\S+)\)/.exec(String(notice['message']))?.[1]
        if (id && !approval) approval = approveFromAnotherProcess(id)
      },
    })
    try {
      const result = await sql`INSERT INTO notes (id, body) VALUES (${3}, ${'third'})`
      assert.equal(result.count, 1)
      await approval
    } finally {
      await sql.end()
    }
    assert.deepEqual((await db.query('SELECT body FROM notes WHERE id = 3')).rows, [{ body: 'third' }])
  })

  it('a denial is SQLSTATE 42501 with the policy message', async () => {
    const sql = sqlClient()
    try {
      await assert.rejects(sql`DROP TABLE notes`, (error: { code?: string; message?: string }) => error.code === '42501' && /never allowed/i.test(error.message ?? ''))
    } finally {
      await sql.end()
    }
  })

  it('a transaction commits; one that a denial interrupts is rolled back whole', async () => {
    const sql = sqlClient()
    try {
      const inside = await sql.begin(async (tx) => {
        const [row] = await tx`SELECT body FROM notes WHERE id = ${1}`
        return row!['body'] as string
      })
      assert.equal(inside, 'first')
      await assert.rejects(
        sql.begin(async (tx) => {
          await tx`SELECT 1`
          await tx`DROP TABLE notes`
        }),
        (error: { code?: string }) => error.code === '42501',
      )
      // The session is usable after the aborted transaction.
      assert.deepEqual([...(await sql`SELECT count(*)::int AS n FROM notes`)], [{ n: 3 }])
    } finally {
      await sql.end()
    }
  })

  it('a cursor reads through Execute row limits (PortalSuspended between batches); the statement is one action', async () => {
    const sql = sqlClient()
    const batches: number[][] = []
    try {
      for await (const rows of sql`SELECT g AS n FROM generate_series(1, 5) g ORDER BY g`.cursor(2)) batches.push(rows.map((row) => row['n'] as number))
    } finally {
      await sql.end()
    }
    assert.deepEqual(batches, [[1, 2], [3, 4], [5]])
    const actions = (await gw.store.listActions({ limit: 10 })).filter((record) => record.actionJson.includes('generate_series(1, 5)'))
    assert.equal(actions.length, 1)
  })
})
