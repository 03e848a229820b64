import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import pg from 'pg'
import { configSchema } from '../config/config-schema.js'
import { testSecret } from '../connectors/test-support.js'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { TEST_POSTGRES_URL, testStores, type TestStore } from '../store/connection/index.js'
import { lexingSettingChange, startPgListener, type PgListener } from './index.js'

const run = promisify(execFile)
const database = `cs_pgwire_${randomBytes(5).toString('hex')}`
const urlOf = (db: string) => {
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${db}`
  return url.href
}
const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
let db: pg.Client
let store: TestStore
let gw: TestGateway
let listener: PgListener
let shortHold: PgListener

before(async () => {
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  db = new pg.Client({ connectionString: urlOf(database) })
  await db.connect()
  await db.query(`CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, balance numeric(10,2) NOT NULL, opened date)`)
  await db.query(`INSERT INTO accounts VALUES (1, 'ada', 10.50, '2024-01-02'), (2, 'grace', -3.25, NULL)`)
  await db.query(`CREATE TABLE identity_log (request_id text, agent text, on_behalf_of text, approvers text, app text)`)
  await db.query(`CREATE FUNCTION record_identity() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      INSERT INTO identity_log VALUES (current_setting('countersign.request_id', true), current_setting('countersign.agent', true),
        current_setting('countersign.on_behalf_of', true), current_setting('countersign.approvers', true), current_setting('application_name'));
      RETURN NEW; END $$`)
  await db.query(`CREATE TRIGGER accounts_identity AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION record_identity()`)
  store = await testStores()[0]!.open()
  gw = await testGateway(store, { targets: [{ name: 'app-db', kind: 'sql', labels: { env: 'prod' }, connector: { type: 'postgres', url: `env:${testSecret(urlOf(database))}` } }] })
  listener = await startPgListener({ config: gw.config, listen: { host: '127.0.0.1', port: 0, hold_ms: 60_000 }, gateway: gw.gateway, publicUrl: 'https://countersign.test' })
  shortHold = await startPgListener({ config: gw.config, listen: { host: '127.0.0.1', port: 0, hold_ms: 50 }, gateway: gw.gateway, publicUrl: 'https://countersign.test' })
})

after(async () => {
  await listener?.close()
  await shortHold?.close()
  await gw?.close()
  await store?.drop()
  await db?.end()
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.end()
})

function psql(port: number, sql: string, password = gw.tokens.deployBot): Promise<{ stdout: string; stderr: string; code: number }> {
  const args = ['-X', '-v', 'VERBOSITY=verbose', `host=127.0.0.1 port=${port} dbname=app-db user=deploy-bot sslmode=disable`, '-c', sql]
  return run('/usr/bin/psql', args, { env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' } }).then(
    ({ stdout, stderr }) => ({ stdout, stderr, code: 0 }),
    (error: { stdout: string; stderr: string; code: number }) => ({ stdout: error.stdout, stderr: error.stderr, code: error.code }),
  )
}

function client(port = listener.address.port, password = gw.tokens.deployBot): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port, database: 'app-db', user: 'deploy-bot', password })
}

describe('postgres wire gateway', () => {
  it('psql reads through the gateway and prints exactly what it prints directly', async () => {
    const query = 'SELECT id, name, balance, opened FROM accounts ORDER BY id'
    const through = await psql(listener.address.port, query)
    const direct = await run('/usr/bin/psql', ['-X', urlOf(database), '-c', query])
    assert.equal(through.code, 0, through.stderr)
    assert.equal(through.stdout, direct.stdout)
    const actions = await gw.store.listActions({ limit: 5 })
    const action = actions.find((record) => record.actionJson.includes('SELECT id, name, balance'))!
    assert.equal(action.status, 'succeeded')
    assert.equal(action.brokered, false)
    // Allowed at once and read-only: recorded once, finished, in one write (before psql got a row).
    const events = (await gw.store.actionEvents(action.id)).map((stored) => {
      const event = (typeof stored.event === 'string' ? JSON.parse(stored.event) : stored.event) as { type: string; channel: string }
      return `${event.type}/${event.channel}`
    })
    assert.deepEqual(events, ['action.submitted/postgres', 'action.allowed/postgres', 'action.succeeded/postgres'])
  })

  it('several statements in one message are each an action', async () => {
    const result = await psql(listener.address.port, 'SELECT 1 AS a; SELECT 2 AS b')
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /a\s*\n-+\n\s*1\n/)
    assert.match(result.stdout, /b\s*\n-+\n\s*2\n/)
    const texts = (await gw.store.listActions({ limit: 5 })).map((record) => JSON.parse(record.actionJson).payload.sql)
    assert.ok(texts.includes('SELECT 1 AS a') && texts.includes('SELECT 2 AS b'), texts.join(' | '))
  })

  it('a denied statement is SQLSTATE 42501 with the policy message and the action id; nothing runs', async () => {
    const result = await psql(listener.address.port, 'DROP TABLE accounts')
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /42501/)
    assert.match(result.stderr, /Dropping is never allowed\. \(action [0-9a-z_]+\)/i)
    assert.equal((await db.query(`SELECT to_regclass('accounts') IS NOT NULL AS present`)).rows[0].present, true)
  })

  it('node-postgres: a parameterised query (extended protocol) carries its params in the action', async () => {
    const c = client()
    await c.connect()
    try {
      const result = await c.query('SELECT name, balance FROM accounts WHERE id = $1', [2])
      assert.deepEqual(result.rows, [{ name: 'grace', balance: '-3.25' }])
      assert.equal(result.fields[1]!.dataTypeID, 1700)
    } finally {
      await c.end()
    }
    const action = (await gw.store.listActions({ limit: 5 })).find((record) => record.actionJson.includes('WHERE id = $1'))!
    assert.deepEqual(JSON.parse(action.actionJson).payload.params, ['2'])
  })

  it('a held parameterised write is approved by a human through the API, then runs once with the identity settings', async () => {
    const c = client()
    await c.connect()
    try {
      const notices: string[] = []
      let approved: Promise<unknown> | undefined
      c.on('notice', (notice) => {
        notices.push(notice.message ?? '')
        const id = /request (\S+)\)/.exec(notice.message ?? '')?.[1]
        if (id && !approved) approved = gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'alice', body: { decision: 'approve' } })
      })
      const result = await c.query('INSERT INTO accounts (id, name, balance) VALUES ($1, $2, $3)', [3, 'linus', '7.00'])
      assert.equal(result.rowCount, 1)
      assert.match(notices[0]!, /held for approval by .*oncall.*https:\/\/countersign\.test\/actions\//)
      const review = (await approved) as { status: number }
      assert.equal(review.status, 200)
    } finally {
      await c.end()
    }
    const action = (await gw.store.listActions({ limit: 5 })).find((record) => record.actionJson.includes('INSERT INTO accounts (id, name, balance)'))!
    assert.equal(action.status, 'succeeded')
    const log = (await db.query('SELECT * FROM identity_log')).rows
    assert.deepEqual(log, [{ request_id: action.id, agent: 'deploy-bot', on_behalf_of: '', approvers: 'alice@example.com', app: 'countersign/deploy-bot' }])
  })

  it('a statement still pending when the hold ends fails with "pending approval: <id>"; re-issued after approval it runs once', async () => {
    const sql = `UPDATE accounts SET name = 'ada2' WHERE id = 1`
    const first = await psql(shortHold.address.port, sql)
    assert.notEqual(first.code, 0)
    const id = /pending approval: (\S+)/.exec(first.stderr)?.[1]
    assert.ok(id, first.stderr)
    assert.match(first.stderr, /57014/)
    assert.equal((await db.query('SELECT name FROM accounts WHERE id = 1')).rows[0].name, 'ada')
    assert.equal((await gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'bob', body: { decision: 'approve' } })).status, 200)
    const again = await psql(shortHold.address.port, sql)
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /UPDATE 1/)
    assert.equal((await gw.gateway.get({ type: 'human', email: 'carol@example.com', groups: [], roles: [], admin: true } as never, id)).record.status, 'succeeded')
    // A third time is a new request, not a second run of the approved one.
    const third = await psql(shortHold.address.port, sql)
    assert.match(third.stderr, /pending approval: /)
    assert.doesNotMatch(third.stderr, new RegExp(id))
  })

  it('a wrong token is an authentication error (28P01)', async () => {
    const c = client(listener.address.port, `cs_agent_${'x'.repeat(40)}`)
    await assert.rejects(c.connect(), (error: { code?: string }) => error.code === '28P01')
    const human = client(listener.address.port, gw.tokens.alice)
    await assert.rejects(human.connect(), (error: { code?: string }) => error.code === '28000')
  })

  it('malformed protocol input is an ErrorResponse and a closed connection, never a crash', async () => {
    const startup = (parameters: string): Buffer => {
      const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from(parameters, 'utf8'), Buffer.from([0])])
      const length = Buffer.alloc(4)
      length.writeInt32BE(body.length + 4)
      return Buffer.concat([length, body])
    }
    const inputs: Buffer[] = [
      Buffer.from([0, 0, 0, 2]),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]),
      Buffer.concat([Buffer.from([0, 0, 0, 8]), Buffer.from([0, 9, 0, 0])]),
      startup('user\0deploy-bot\0database\0app-db\0'),
      Buffer.concat([startup('user\0deploy-bot\0database\0app-db\0'), Buffer.from('p\0\0\0\x02')]),
      Buffer.concat([startup('user\0deploy-bot\0database\0app-db\0'), Buffer.from('Z\x7f\xff\xff\xff')]),
      startup('user\0deploy-bot\0database\0no-such-db\0'),
      startup('unterminated'),
    ]
    for (let i = 0; i < 40; i++) inputs.push(randomBytes(1 + (i * 37) % 200))
    for (const input of inputs) {
      const received = await new Promise<Buffer>((resolve) => {
        const socket = connect(listener.address.port, '127.0.0.1')
        const chunks: Buffer[] = []
        socket.on('data', (chunk) => chunks.push(chunk))
        socket.on('error', () => {})
        socket.on('close', () => resolve(Buffer.concat(chunks)))
        socket.write(input, () => socket.end())
      })
      // Either nothing yet (a partial message, then the client went away), a password request, or an error.
      if (received.length > 0) assert.ok([0x45, 0x52].includes(received[0]!), `unexpected reply ${received.subarray(0, 8).toString('hex')}`)
    }
    const after = await psql(listener.address.port, 'SELECT 42 AS answer')
    assert.match(after.stdout, /42/)
  })
})

describe('postgres wire gateway: transactions and TLS', () => {
  it('an explicit transaction holds the session connection and commits; a denial inside one aborts it', async () => {
    const c = client()
    await c.connect()
    try {
      await c.query('BEGIN')
      assert.deepEqual((await c.query(`SELECT name FROM accounts WHERE id = 2`)).rows, [{ name: 'grace' }])
      // A read-only-judged statement inside the client's transaction runs in a read-only savepoint…
      assert.deepEqual((await c.query(`SELECT current_setting('transaction_read_only') AS ro`)).rows, [{ ro: 'on' }])
      // …which is gone afterwards: the transaction goes on, read-write, and commits.
      assert.deepEqual((await c.query(`SELECT name FROM accounts WHERE id = 2`)).rows, [{ name: 'grace' }])
      await c.query('COMMIT')
      await c.query('BEGIN')
      await c.query(`SELECT 1`)
      await assert.rejects(c.query('DROP TABLE accounts'), (error: { code?: string }) => error.code === '42501')
      await assert.rejects(c.query('SELECT 1'), (error: { code?: string }) => error.code === '25P02')
      await c.query('ROLLBACK')
      assert.deepEqual((await c.query('SELECT 1 AS one')).rows, [{ one: 1 }])
    } finally {
      await c.end()
    }
  })

  it('a read-only statement outside a transaction runs in a READ ONLY one', async () => {
    const c = client()
    await c.connect()
    try {
      assert.deepEqual((await c.query(`SELECT current_setting('transaction_read_only') AS ro`)).rows, [{ ro: 'on' }])
    } finally {
      await c.end()
    }
  })

  it('with server.postgres.tls, SSLRequest is answered S and the session runs over TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgwire-tls-'))
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')])
    const secure = await startPgListener({ config: gw.config, listen: { host: '127.0.0.1', port: 0, hold_ms: 1000, tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } }, gateway: gw.gateway, publicUrl: 'https://countersign.test' })
    try {
      const c = new pg.Client({ host: '127.0.0.1', port: secure.address.port, database: 'app-db', user: 'deploy-bot', password: gw.tokens.deployBot, ssl: { rejectUnauthorized: false } })
      await c.connect()
      try {
        assert.deepEqual((await c.query('SELECT 7 AS seven')).rows, [{ seven: 7 }])
      } finally {
        await c.end()
      }
      const plain = await psql(listener.address.port, 'SELECT 1').then(() => run('/usr/bin/psql', ['-X', `host=127.0.0.1 port=${listener.address.port} dbname=app-db user=deploy-bot sslmode=require`, '-c', 'SELECT 1'], { env: { ...process.env, PGPASSWORD: gw.tokens.deployBot } })).then(
        () => 'connected',
        (error: { stderr: string }) => error.stderr,
      )
      assert.match(plain, /does not support SSL|server does not support/i)
    } finally {
      await secure.close()
    }
  })
})

describe('postgres wire gateway: session settings', () => {
  it('changing a setting the analysis depends on is refused (SET, set_config); RESET is fine', async () => {
    for (const sql of ['SET standard_conforming_strings = off', "SET LOCAL backslash_quote = 'on'", "SELECT set_config('standard_conforming_strings', 'off', false)", 'SELECT set_config(current_user, $$x$$, false)']) {
      const result = await psql(listener.address.port, sql)
      assert.match(result.stderr, /42501.*refused by the Countersign wire gateway/, sql)
    }
    assert.equal(lexingSettingChange('RESET standard_conforming_strings'), undefined)
    assert.equal(lexingSettingChange("SELECT set_config('app.x', 'y', true)"), undefined)
  })
})

describe('postgres wire gateway: extended protocol and config', () => {
  it('a prepared statement holds one statement, as in PostgreSQL (no unwrapped BEGIN…; smuggling)', async () => {
    const c = client()
    await c.connect()
    try {
      await assert.rejects(c.query({ text: 'BEGIN; SELECT 1', name: 'two' }), (error: { code?: string }) => error.code === '42601')
      assert.deepEqual((await c.query({ text: 'SELECT $1::int + 1 AS n', values: [41], name: 'one' })).rows, [{ n: 42 }])
    } finally {
      await c.end()
    }
  })

  it('server.postgres: listen, tls, hold (50 s by default), max_result (64 MiB by default)', () => {
    const parsed = configSchema('/etc/countersign').parse({ policy: 'p', server: { postgres: { listen: '127.0.0.1:6432', tls: { cert: 'pg.crt', key: '/k/pg.key' } } } })
    assert.deepEqual(parsed.server.postgres, { host: '127.0.0.1', port: 6432, tls: { cert: '/etc/countersign/pg.crt', key: '/k/pg.key' }, hold_ms: 50_000, max_result_bytes: 64 * 1_048_576 })
    assert.equal(configSchema('/x').parse({ policy: 'p' }).server.postgres, undefined)
    const postgres = (extra: object) => configSchema('/x').safeParse({ policy: 'p', server: { postgres: { listen: '127.0.0.1:6432', ...extra } } })
    assert.equal(postgres({ hold: '11m' }).success, false)
    assert.equal(postgres({ max_result: '1GiB' }).data?.server.postgres?.max_result_bytes, 1_073_741_824)
    assert.equal(postgres({ max_result: 4096 }).data?.server.postgres?.max_result_bytes, 4096)
    for (const bad of ['2GiB', '512B', 'lots', -1]) assert.match(String(postgres({ max_result: bad }).error?.issues[0]?.message), /expected a size/)
  })
})

/** Sends a CancelRequest with `client`'s BackendKeyData to the gateway, as libpq does, on a connection of its own. */
function sendCancel(port: number, c: pg.Client): Promise<void> {
  const { processID, secretKey } = c as unknown as { processID: number; secretKey: number }
  const packet = Buffer.alloc(16)
  packet.writeInt32BE(16, 0)
  packet.writeInt32BE(80_877_102, 4)
  packet.writeInt32BE(processID, 8)
  packet.writeInt32BE(secretKey, 12)
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(packet))
    socket.on('error', () => resolve())
    socket.on('close', () => resolve())
  })
}

/** Polls `check` until it holds (each look is a real query; bounded). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error('condition never held')
}

describe('postgres wire gateway: cancel and COPY', () => {
  it('a CancelRequest with the BackendKeyData the gateway gave cancels pg_sleep running on the target (57014); the session goes on', async () => {
    const c = client()
    await c.connect()
    try {
      // pg_sleep is not read-only (it holds a connection): held, approved, then it runs.
      c.once('notice', (notice) => {
        const id = /request (\S+)\)/.exec(notice.message ?? '')?.[1]
        void gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'alice', body: { decision: 'approve' } })
      })
      const running = c.query('SELECT pg_sleep(60) AS slept')
      const settled = running.then(() => 'finished', (error: { code?: string }) => error.code)
      await until(async () => (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND state = 'active' AND pid <> pg_backend_pid()`)).rows[0].n === 1)
      await sendCancel(listener.address.port, c)
      assert.equal(await settled, '57014')
      assert.deepEqual((await c.query('SELECT 1 AS one')).rows, [{ one: 1 }])
    } finally {
      await c.end()
    }
    const action = (await gw.store.listActions({ limit: 5 })).find((record) => record.actionJson.includes('pg_sleep(60)'))!
    assert.equal(action.status, 'failed')
  })

  it('a CancelRequest stops a statement held for approval (57014); its request stays open; a wrong key cancels nothing', async () => {
    const c = client()
    await c.connect()
    try {
      let id: string | undefined
      const held = new Promise<void>((resolve) =>
        c.on('notice', (notice) => {
          id ??= /request (\S+)\)/.exec(notice.message ?? '')?.[1]
          resolve()
        }),
      )
      const running = c.query(`UPDATE accounts SET name = 'cancelled' WHERE id = 2`).then(() => 'finished', (error: { code?: string }) => error.code)
      await held
      const other = client()
      await other.connect()
      await sendCancel(listener.address.port, other)
      await other.end()
      await sendCancel(listener.address.port, c)
      assert.equal(await running, '57014')
      assert.equal((await gw.gateway.get({ type: 'human', email: 'carol@example.com', groups: [], roles: [], admin: true } as never, id!)).record.status, 'pending')
      assert.equal((await db.query('SELECT name FROM accounts WHERE id = 2')).rows[0].name, 'grace')
    } finally {
      await c.end()
    }
  })

  it('COPY … TO STDOUT streams CopyOutResponse/CopyData/CopyDone: psql prints what it prints directly', async () => {
    const sql = 'COPY (SELECT id, name, balance FROM accounts WHERE id <= 2 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)'
    const through = await psql(listener.address.port, sql)
    const direct = await run('/usr/bin/psql', ['-X', urlOf(database), '-c', sql])
    assert.equal(through.code, 0, through.stderr)
    assert.equal(through.stdout, direct.stdout)
    assert.match(through.stdout, /^id,name,balance\n1,ada/)
    const action = (await gw.store.listActions({ limit: 5 })).find((record) => record.actionJson.includes('TO STDOUT'))!
    assert.equal(action.status, 'succeeded')
    assert.equal((action.impact as { facts: { read_only: boolean } }).facts.read_only, true)
  })
})

describe('postgres wire gateway: COPY FROM STDIN', () => {
  it('is a write decided before any data flows: held, approved, then the data goes to the target with the identity settings', async () => {
    const child = spawn('/usr/bin/psql', ['-X', `host=127.0.0.1 port=${listener.address.port} dbname=app-db user=deploy-bot sslmode=disable`, '-c', 'COPY accounts (id, name, balance) FROM STDIN'], { env: { ...process.env, PGPASSWORD: gw.tokens.deployBot } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    child.stdin.end('40\tcopied-1\t1.00\n41\tcopied-2\t2.00\n')
    let id: string | undefined
    await until(async () => {
      id = (await gw.store.listActions({ limit: 5, status: ['pending'] })).find((record) => record.actionJson.includes('FROM STDIN'))?.id
      return id !== undefined
    })
    // Held: nothing was copied yet, whatever psql has sent.
    assert.equal((await db.query('SELECT count(*)::int AS n FROM accounts WHERE id >= 40')).rows[0].n, 0)
    assert.equal((await gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'alice', body: { decision: 'approve' } })).status, 200)
    assert.equal(await exited, 0, stderr)
    assert.match(stdout, /COPY 2/)
    assert.deepEqual((await db.query('SELECT name FROM accounts WHERE id >= 40 ORDER BY id')).rows, [{ name: 'copied-1' }, { name: 'copied-2' }])
    const log = (await db.query(`SELECT DISTINCT request_id, approvers FROM identity_log WHERE request_id = $1`, [id])).rows
    assert.deepEqual(log, [{ request_id: id, approvers: 'alice@example.com' }])
    assert.equal((await gw.gateway.get({ type: 'human', email: 'carol@example.com', groups: [], roles: [], admin: true } as never, id!)).record.status, 'succeeded')
  })
})

/** A frontend message: its type byte, its length, its body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.write(type, 0, 'latin1')
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

/** A startup packet for app-db as deploy-bot, then its password message. */
function loginBytes(): Buffer {
  const params = Buffer.from('user\0deploy-bot\0database\0app-db\0\0', 'utf8')
  const startup = Buffer.concat([Buffer.alloc(4), Buffer.from([0, 3, 0, 0]), params])
  startup.writeInt32BE(startup.length, 0)
  return Buffer.concat([startup, message('p', Buffer.from(`${gw.tokens.deployBot}\0`))])
}

/** The type of each backend message in `received` (which holds whole messages). */
function messageTypes(received: Buffer): string[] {
  const types: string[] = []
  for (let at = 0; at + 5 <= received.length; at += 1 + received.readInt32BE(at + 1)) types.push(String.fromCharCode(received[at]!))
  return types
}

describe('postgres wire gateway: limits and bad input', () => {
  let limited: PgListener
  let idle: PgListener
  let small: PgListener
  before(async () => {
    limited = await startPgListener({ config: gw.config, listen: { host: '127.0.0.1', port: 0, hold_ms: 60_000 }, gateway: gw.gateway, publicUrl: 'https://countersign.test', limits: { sessionsPerAgent: 2, heldPerAgent: 1, statementBytes: 1000 } })
    idle = await startPgListener({ config: gw.config, listen: { host: '127.0.0.1', port: 0, hold_ms: 60_000 }, gateway: gw.gateway, publicUrl: 'https://countersign.test', limits: { idleMs: 300 } })
    small = await startPgListener({ config: gw.config, listen: { host: '127.0.0.1', port: 0, hold_ms: 60_000, max_result_bytes: 64 * 1024 }, gateway: gw.gateway, publicUrl: 'https://countersign.test' })
  })
  after(async () => {
    await limited?.close()
    await idle?.close()
    await small?.close()
  })

  it('a result larger than server.postgres.max_result is cancelled on the target (54000), recorded as failed; the session goes on', async () => {
    const c = client(small.address.port)
    await c.connect()
    try {
      // Far more than 64 KiB of rows, produced slowly enough that the cancel lands while they are.
      const big = `SELECT g, repeat('x', 200) AS filler FROM generate_series(1, 2000000) g`
      await assert.rejects(c.query(big), (error: { code?: string; message?: string }) => error.code === '54000' && /max_result \(65536 bytes\): it was cancelled on the target/.test(error.message ?? ''))
      const action = (await gw.store.listActions({ limit: 5 })).find((record) => record.actionJson.includes('generate_series(1, 2000000)'))!
      assert.equal(action.status, 'failed')
      assert.match(String((action.result as { error?: string }).error), /max_result/)
      // Under the limit, rows come back as usual, on the same session; the cancel did not reach this statement.
      const result = await c.query(`SELECT g FROM generate_series(1, 100) g`)
      assert.equal(result.rows.length, 100)
      // Inside a transaction: the oversized statement aborts it, as an error does in PostgreSQL.
      await c.query('BEGIN')
      await assert.rejects(c.query(big), (error: { code?: string }) => error.code === '54000')
      await assert.rejects(c.query('SELECT 1'), (error: { code?: string }) => error.code === '25P02')
      await c.query('ROLLBACK')
      assert.equal((await c.query('SELECT 7 AS n')).rows[0].n, 7)
    } finally {
      await c.end()
    }
    // COPY … TO STDOUT is weighed the same way.
    const copy = await psql(small.address.port, `COPY (SELECT g, repeat('y', 200) FROM generate_series(1, 2000000) g) TO STDOUT`)
    assert.notEqual(copy.code, 0)
    assert.match(copy.stderr, /max_result/)
  })

  it('a statement recorded before it runs (approved) streams its result to the client as it comes, past max_result', async () => {
    const c = client(small.address.port)
    await c.connect()
    try {
      let approved: Promise<unknown> | undefined
      c.on('notice', (notice) => {
        const id = /request (\S+)\)/.exec(notice.message ?? '')?.[1]
        if (id && !approved) approved = gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'alice', body: { decision: 'approve' } })
      })
      // About 600 KiB of rows back from a reviewed write: ten times max_result.
      await db.query('CREATE TABLE streamed (id int)')
      const result = await c.query(`INSERT INTO streamed SELECT g FROM generate_series(1, 2) g RETURNING id, repeat('x', 300000) AS pad`)
      assert.equal((await approved as { status: number }).status, 200)
      assert.deepEqual(result.rows.map((row: { id: number; pad: string }) => [row.id, row.pad.length]).sort(), [[1, 300000], [2, 300000]])
      assert.equal(result.rowCount, 2)
    } finally {
      await c.end()
    }
    const action = (await gw.store.listActions({ limit: 5 })).find((record) => record.actionJson.includes(`repeat('x', 300000)`))!
    assert.equal(action.status, 'succeeded')
    assert.match(String((action.result as { output?: string }).output), /INSERT 0 2 \(2 rows sent to the client\)/)
  })

  it('a statement over the size limit is refused (54000); the session goes on', async () => {
    const c = client(limited.address.port)
    await c.connect()
    try {
      await assert.rejects(c.query(`SELECT '${'x'.repeat(2000)}' AS long`), (error: { code?: string }) => error.code === '54000')
      assert.deepEqual((await c.query('SELECT 1 AS one')).rows, [{ one: 1 }])
    } finally {
      await c.end()
    }
  })

  it('sessions per agent and statements held per agent are limited', async () => {
    const a = client(limited.address.port)
    const b = client(limited.address.port)
    await a.connect()
    await b.connect()
    try {
      await assert.rejects(client(limited.address.port).connect(), (error: { code?: string }) => error.code === '53300')
      const held = new Promise<void>((resolve) => a.once('notice', () => resolve()))
      const first = a.query(`UPDATE accounts SET name = 'held' WHERE id = 2`).then(() => 'finished', (error: { code?: string }) => error.code)
      await held
      // The agent's one hold slot is taken: the next statement needing review is not held.
      const notices: string[] = []
      b.on('notice', (notice) => notices.push(notice.message ?? ''))
      await assert.rejects(b.query(`UPDATE accounts SET name = 'second' WHERE id = 2`), (error: { code?: string; message?: string }) => error.code === '57014' && /pending approval/.test(error.message ?? ''))
      assert.match(notices[0]!, /not held: this agent has too many statements held/)
      await sendCancel(limited.address.port, a)
      assert.equal(await first, '57014')
    } finally {
      await a.end()
      await b.end()
    }
  })

  it('an idle session is closed with 57P05', async () => {
    const c = client(idle.address.port)
    const ended = new Promise<string | undefined>((resolve) => c.once('error', (error: { code?: string }) => resolve(error.code)))
    await c.connect()
    assert.equal(await ended, '57P05')
    await c.end().catch(() => {})
  })

  it('malformed messages after authentication: an ErrorResponse, then the connection closes or goes on; never a crash', async () => {
    const login = loginBytes()
    const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff])
    const inputs = [
      message('B', Buffer.concat([Buffer.from('\0\0'), int16(0), int16(-1 & 0xffff)])),
      message('B', Buffer.concat([Buffer.from('\0\0'), int16(0), int16(1), Buffer.from([0x7f, 0xff, 0xff, 0xff])])),
      message('P', Buffer.from('stmt\0SELECT 1')),
      message('E', Buffer.from([0])),
      message('D', Buffer.from('Z')),
      message('q', Buffer.from('?')),
      message('d', Buffer.from('copy data outside a copy')),
      message('C', Buffer.alloc(0)),
      message('Q', Buffer.from('SELECT 1')),
      message('Q', Buffer.from('\0')),
      Buffer.concat([message('P', Buffer.from('\0SELECT $1\0\0\0')), message('B', Buffer.from('\0\0\0\0\0\0\0\0')), message('E', Buffer.from('\0\0\0\0\0')), message('S', Buffer.alloc(0))]),
    ]
    for (let i = 0; i < 20; i++) inputs.push(message(String.fromCharCode(0x41 + (i % 26)), randomBytes(1 + ((i * 53) % 90))))
    for (const input of inputs) {
      const received = await new Promise<Buffer>((resolve) => {
        const socket = connect(listener.address.port, '127.0.0.1')
        const chunks: Buffer[] = []
        socket.on('data', (chunk) => chunks.push(chunk))
        socket.on('error', () => {})
        socket.on('close', () => resolve(Buffer.concat(chunks)))
        socket.write(Buffer.concat([login, input]), () => setTimeout(() => socket.end(), 50))
      })
      // Every backend message is well framed; the first is the password request.
      assert.equal(messageTypes(received)[0], 'R', input.toString('hex'))
    }
    const after = await psql(listener.address.port, 'SELECT 42 AS answer')
    assert.match(after.stdout, /42/)
  })
})

/** A backend message as received: its type and body. */
interface Received {
  readonly type: string
  readonly body: Buffer
}

/**
 * A bare protocol v3 client, to see the bytes a server sends (drivers decode them): logs in
 * (password when asked), then sends `messages` and returns what came back up to ReadyForQuery.
 */
async function rawExchange(port: number, login: { user: string; database: string; password?: string }, messages: readonly Buffer[]): Promise<Received[]> {
  const socket = connect(port, '127.0.0.1')
  let buffered = Buffer.alloc(0)
  const queue: Received[] = []
  let wake: (() => void) | undefined
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk])
    while (buffered.length >= 5 && buffered.length >= 1 + buffered.readInt32BE(1)) {
      const length = buffered.readInt32BE(1)
      queue.push({ type: String.fromCharCode(buffered[0]!), body: buffered.subarray(5, 1 + length) })
      buffered = buffered.subarray(1 + length)
    }
    wake?.()
  })
  const untilReady = async (): Promise<Received[]> => {
    for (;;) {
      const at = queue.findIndex((message) => message.type === 'Z')
      if (at >= 0) return queue.splice(0, at + 1)
      await new Promise<void>((resolve) => (wake = resolve))
    }
  }
  const params = Buffer.from(`user\0${login.user}\0database\0${login.database}\0\0`, 'utf8')
  const startup = Buffer.concat([Buffer.alloc(4), Buffer.from([0, 3, 0, 0]), params])
  startup.writeInt32BE(startup.length, 0)
  socket.write(startup)
  if (login.password !== undefined) socket.write(message('p', Buffer.from(`${login.password}\0`)))
  await untilReady()
  socket.write(Buffer.concat([...messages]))
  const received = await untilReady()
  socket.end()
  return received
}

/** Parse/Bind/Describe portal/Execute/Sync of `sql`, with binary or text parameters and result formats. */
function extendedQuery(sql: string, params: readonly { readonly format: 0 | 1; readonly value: Buffer }[], resultFormats: readonly number[]): Buffer[] {
  const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff])
  const int32 = (n: number) => {
    const buffer = Buffer.alloc(4)
    buffer.writeInt32BE(n)
    return buffer
  }
  const bind = Buffer.concat([
    Buffer.from('\0\0'),
    int16(params.length), ...params.map((param) => int16(param.format)),
    int16(params.length), ...params.flatMap((param) => [int32(param.value.length), param.value]),
    int16(resultFormats.length), ...resultFormats.map(int16),
  ])
  return [message('P', Buffer.concat([Buffer.from(`\0${sql}\0`), int16(0)])), message('B', bind), message('D', Buffer.from('P\0')), message('E', Buffer.from('\0\0\0\0\0')), message('S', Buffer.alloc(0))]
}

/** The columns of each DataRow, raw (null for SQL NULL). */
function dataRows(received: readonly Received[]): (Buffer | null)[][] {
  return received.filter((m) => m.type === 'D').map(({ body }) => {
    const values: (Buffer | null)[] = []
    for (let at = 2, i = 0; i < body.readInt16BE(0); i++) {
      const length = body.readInt32BE(at)
      values.push(length < 0 ? null : body.subarray(at + 4, at + 4 + length))
      at += 4 + Math.max(length, 0)
    }
    return values
  })
}

describe('postgres wire gateway: binary format', () => {
  const direct = () => ({ user: 'postgres', database })
  const through = () => ({ user: 'deploy-bot', database: 'app-db', password: gw.tokens.deployBot })
  const sql = `SELECT true AS t, false AS f, '\\x00ff10'::bytea AS b, 'héllo ✓'::text AS tx, 'x'::varchar AS vc, 'ab'::char(3) AS ch, 'nm'::name AS nm,
    '-32768'::int2 AS i2, 2147483647::int4 AS i4, (-9223372036854775807 - 1)::int8 AS i8, 4294967295::oid AS o,
    1.5::float4 AS f4, 0.1::float4 AS f4b, -0.1::float8 AS f8, 'NaN'::float8 AS nan, '-Infinity'::float8 AS ninf, 1e300::float8 AS big, 5e-324::float8 AS tiny,
    0::numeric AS n0, 0.00::numeric AS n00, -12.3400::numeric AS n1, 'NaN'::numeric AS n2, 123456789.000000001::numeric AS n3, 0.00012::numeric AS n4,
    10000::numeric AS n5, 'Infinity'::numeric AS n6, -99999999.99990000::numeric AS n7, '-Infinity'::numeric AS n8,
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, '{"a": [1, 2]}'::json AS j, '{"b": {"c": null}}'::jsonb AS jb,
    '2024-02-29'::date AS d1, 'infinity'::date AS d2, '1999-12-31'::date AS d3, '0001-01-01'::date AS d4,
    '2024-02-29 12:34:56.789012'::timestamp AS ts1, '1999-12-31 23:59:59.5'::timestamp AS ts2, '1970-01-01 00:00:00'::timestamp AS ts3,
    '2024-01-02 03:04:05.06+05:30'::timestamptz AS tz1, '-infinity'::timestamptz AS tz2, NULL::int4 AS nothing,
    ARRAY[1, 2, NULL]::int4[] AS a1, '{}'::text[] AS a2, ARRAY['a b', 'c"d', 'NULL', '', 'x\\y', 'é']::text[] AS a3, '{{1,2},{3,4}}'::int8[] AS a4,
    ARRAY['2024-01-02 03:04:05+00'::timestamptz] AS a5, ARRAY['\\x01ff'::bytea] AS a6, ARRAY[1.5, NULL, -0.001]::numeric[] AS a7, ARRAY['{"k": "v"}'::jsonb] AS a8`

  it('results asked for in binary are the bytes PostgreSQL sends, for every common type; mixed formats too', async () => {
    const want = await rawExchange(Number(new URL(TEST_POSTGRES_URL).port || 5432), direct(), extendedQuery(sql, [], [1]))
    const got = await rawExchange(listener.address.port, through(), extendedQuery(sql, [], [1]))
    assert.deepEqual(got.map((m) => m.type), ['1', '2', 'T', 'D', 'C', 'Z'], got.find((m) => m.type === 'E')?.body.toString())
    const hex = (rows: (Buffer | null)[][]) => rows.map((row) => row.map((value) => value?.toString('hex') ?? null))
    assert.deepEqual(hex(dataRows(got)), hex(dataRows(want)))
    // The description says binary for every column.
    assert.deepEqual(got.find((m) => m.type === 'T')!.body, want.find((m) => m.type === 'T')!.body)
    // One format per column: the first two in text, the rest binary.
    const mixed = `SELECT 1::int4 AS a, 'x'::text AS b, 2::int8 AS c`
    const mixedGot = dataRows(await rawExchange(listener.address.port, through(), extendedQuery(mixed, [], [0, 0, 1])))
    assert.deepEqual(mixedGot, dataRows(await rawExchange(Number(new URL(TEST_POSTGRES_URL).port || 5432), direct(), extendedQuery(mixed, [], [0, 0, 1]))))
    assert.equal(mixedGot[0]![0]!.toString(), '1')
  })

  it('binary parameters are decided, shown and run as the text PostgreSQL prints for them', async () => {
    const values = `SELECT 41::int4, '\\x0102'::bytea, '2024-01-02 03:04:05.06+00'::timestamptz, -12.3400::numeric, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 2.5::float8, ARRAY[7, 8]::int8[], ARRAY['a b', NULL]::text[]`
    const [binary] = dataRows(await rawExchange(Number(new URL(TEST_POSTGRES_URL).port || 5432), direct(), extendedQuery(values, [], [1])))
    const query = 'SELECT $1::int4 + 1 AS n, $2::bytea AS b, $3::timestamptz AS at, $4::numeric AS x, $5::uuid AS u, $6::float8 AS f, $7::int8[] AS ids, $8::text[] AS names'
    const got = await rawExchange(listener.address.port, through(), extendedQuery(query, binary!.map((value) => ({ format: 1, value: value! })), [0]))
    assert.deepEqual(dataRows(got)[0]!.map((value) => value?.toString()), ['42', '\\x0102', '2024-01-02 03:04:05.06+00', '-12.3400', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2.5', '{7,8}', '{"a b",NULL}'])
    const action = (await gw.store.listActions({ limit: 5 })).find((record) => record.actionJson.includes('$1::int4 + 1'))!
    assert.deepEqual(JSON.parse(action.actionJson).payload.params, ['41', '\\x0102', '2024-01-02 03:04:05.060000+00', '-12.3400', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2.5', '{7,8}', '{"a b",NULL}'])
    assert.equal(action.status, 'succeeded')
  })

  it('a type whose binary format the gateway does not know is refused (0A000) before anything is decided; so is a malformed binary value (22P03)', async () => {
    const before = (await gw.store.listActions({ limit: 100 })).length
    const interval = await rawExchange(listener.address.port, through(), extendedQuery(`SELECT '1 day'::interval AS i`, [], [1]))
    assert.match(interval.find((m) => m.type === 'E')!.body.toString(), /0A000[\s\S]*column "i" is asked for in binary format/)
    const param = await rawExchange(listener.address.port, through(), extendedQuery('SELECT $1::interval AS i', [{ format: 1, value: Buffer.alloc(16) }], [0]))
    assert.match(param.find((m) => m.type === 'E')!.body.toString(), /0A000[\s\S]*parameter \$1 is in binary format/)
    const short = await rawExchange(listener.address.port, through(), extendedQuery('SELECT $1::int4 AS i', [{ format: 1, value: Buffer.from([0, 1]) }], [0]))
    assert.match(short.find((m) => m.type === 'E')!.body.toString(), /22P03[\s\S]*bind parameter 1/)
    const badFormat = await rawExchange(listener.address.port, through(), extendedQuery('SELECT 1', [], [2]))
    assert.match(badFormat.find((m) => m.type === 'E')!.body.toString(), /22023[\s\S]*unsupported format code: 2/)
    assert.equal((await gw.store.listActions({ limit: 100 })).length, before)
  })
})

describe('postgres wire gateway: when answers are sent', () => {
  it('extended-query answers wait for the client to ask: a Flush sends them (no ReadyForQuery), a Sync sends ReadyForQuery', { timeout: 20_000 }, async () => {
    const socket = connect(listener.address.port, '127.0.0.1')
    let received = Buffer.alloc(0)
    const arrived: (() => void)[] = []
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      for (const wake of arrived.splice(0)) wake()
    })
    /** Waits until the messages received so far end with `type`, and returns their types. */
    const untilLast = async (type: string): Promise<string[]> => {
      for (;;) {
        const types = messageTypes(received)
        if (types.at(-1) === type) return types
        await new Promise<void>((resolve) => arrived.push(resolve))
      }
    }
    socket.write(loginBytes())
    await untilLast('Z')
    received = Buffer.alloc(0)
    const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff])
    socket.write(Buffer.concat([
      message('P', Buffer.from('\0SELECT 42 AS answer\0\0\0')),
      message('B', Buffer.concat([Buffer.from('\0\0'), int16(0), int16(0), int16(0)])),
      message('D', Buffer.from('P\0')),
      message('E', Buffer.from('\0\0\0\0\0')),
      message('H', Buffer.alloc(0)),
    ]))
    assert.deepEqual(await untilLast('C'), ['1', '2', 'T', 'D', 'C'])
    received = Buffer.alloc(0)
    socket.write(message('S', Buffer.alloc(0)))
    assert.deepEqual(await untilLast('Z'), ['Z'])
    socket.end()
  })
})

describe('postgres wire gateway: LISTEN', () => {
  it('LISTEN is a statement like any other; once it ran, the target notifications reach the client', async () => {
    const c = client()
    await c.connect()
    try {
      c.on('notice', (notice) => {
        const id = /request (\S+)\)/.exec(notice.message ?? '')?.[1]
        if (id) void gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'alice', body: { decision: 'approve' } })
      })
      const received = new Promise<{ channel: string; payload?: string }>((resolve) => c.once('notification', resolve))
      await c.query('LISTEN countersign_test')
      await db.query(`NOTIFY countersign_test, 'hello'`)
      assert.deepEqual(await received.then(({ channel, payload }) => ({ channel, payload })), { channel: 'countersign_test', payload: 'hello' })
    } finally {
      await c.end()
    }
  })
})
