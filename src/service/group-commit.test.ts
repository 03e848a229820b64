import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { sql, type KyselyPlugin, type RootOperationNode } from 'kysely'
import { verifyChain, type StoredAuditEvent } from '../audit/index.js'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { openEmbedded, openPostgres, testStores, type StoreConnection } from '../store/connection/index.js'
import type { Database } from '../store/index.js'

const read = (n: number) => ({ kind: 'sql', target: 'prod-db', payload: { sql: `SELECT id FROM users WHERE id = ${n}` } })
const write = (n: number) => ({ kind: 'sql', target: 'prod-db', payload: { sql: `UPDATE users SET plan = 1 WHERE id = ${n}` } })

/** Counts the statements that move the audit head (one per group commit), and fails them all while `failing`. */
class AppendWatch implements KyselyPlugin {
  appends = 0
  failing = false
  transformQuery(args: { node: RootOperationNode }): RootOperationNode {
    const node = args.node as RootOperationNode & { sqlFragments?: readonly string[] }
    if (node.sqlFragments?.some((fragment) => fragment.includes('update audit_head'))) {
      if (this.failing) throw new Error('injected: the store refused the write')
      this.appends++
    }
    return args.node
  }
  async transformResult<T>(args: { result: T }): Promise<T> {
    return args.result
  }
}

function watched(connection: StoreConnection<Database>, watch: AppendWatch): StoreConnection<Database> {
  return { ...connection, db: connection.db.withPlugin(watch) }
}

async function chainOf(gateway: TestGateway): Promise<{ events: StoredAuditEvent[]; ok: boolean; problems: unknown }> {
  const events: StoredAuditEvent[] = []
  for await (const event of gateway.gateway.store.allAuditEvents()) events.push(event)
  const report = await verifyChain(events)
  return { events, ok: report.ok, problems: report.problems }
}

/** Each action's events, in chain order: every action's `action.submitted` is followed at once by its decision. */
function assertEachActionInOrder(events: readonly StoredAuditEvent[], ids: readonly string[]): void {
  for (const id of ids) {
    const mine = events.filter((event) => JSON.parse(event.event).action_id === id)
    assert.deepEqual(mine.map((event) => JSON.parse(event.event).type), ['action.submitted', mine.length === 2 ? JSON.parse(mine[1]!.event).type : 'missing'])
    assert.equal(mine[1]!.seq, mine[0]!.seq + 1, `the events of ${id} are consecutive`)
  }
}

const stores = [
  ...testStores().map((factory) => ({ name: factory.name, open: () => factory.open() })),
  {
    // The embedded store as served: a data directory, PGlite in its worker thread.
    name: 'pglite in a data directory',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'cs-groupcommit-'))
      const connection = await openEmbedded<Database>({ dataDir: join(dir, 'data') })
      return { ...connection, drop: () => connection.close().then(() => rm(dir, { recursive: true, force: true })) }
    },
  },
]

for (const store of stores) {
  describe(`group commit of submissions (${store.name})`, () => {
    it('records concurrent submissions in fewer writes than requests, on one chain that verifies', async () => {
      const watch = new AppendWatch()
      const connection = await store.open()
      const gateway = await testGateway(watched(connection, watch))
      try {
        const before = watch.appends
        const responses = await Promise.all(Array.from({ length: 60 }, (_, n) => gateway.call('POST', '/v1/actions', { as: 'deployBot', body: n % 3 === 0 ? write(n) : read(n) })))
        assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([201]))
        assert.ok(watch.appends - before < 60, `${watch.appends - before} writes for 60 submissions`)
        const verified = await gateway.call('GET', '/v1/audit/verify', { as: 'alice' })
        assert.equal(verified.body.ok, true, JSON.stringify(verified.body))
        const { events } = await chainOf(gateway)
        assertEachActionInOrder(events, responses.map((response) => response.body.id as string))
        const statuses = await Promise.all(responses.map((response) => gateway.call('GET', `/v1/actions/${response.body.id}`, { as: 'alice' })))
        assert.deepEqual(statuses.map((state) => state.body.status), responses.map((response) => response.body.status))
      } finally {
        await gateway.close()
        await connection.drop()
      }
    })

    it('fails every submission of a group whose write fails, and records none of them', async () => {
      const watch = new AppendWatch()
      const connection = await store.open()
      const gateway = await testGateway(watched(connection, watch))
      try {
        const head = await gateway.gateway.store.auditHead()
        watch.failing = true
        const responses = await Promise.all(Array.from({ length: 20 }, (_, n) => gateway.call('POST', '/v1/actions', { as: 'deployBot', body: n % 2 === 0 ? write(n) : read(n) })))
        watch.failing = false
        assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([500]))
        assert.deepEqual(await gateway.gateway.store.auditHead(), head)
        const stored = await sql<{ count: number }>`select count(*)::int as count from actions`.execute(gateway.gateway.store.db)
        assert.equal(stored.rows[0]!.count, 0)
        // The store works again: the next submission chains from the unchanged head.
        const next = await gateway.call('POST', '/v1/actions', { as: 'deployBot', body: read(1) })
        assert.equal(next.status, 201)
        const verified = await gateway.call('GET', '/v1/audit/verify', { as: 'alice' })
        assert.equal(verified.body.ok, true, JSON.stringify(verified.body))
      } finally {
        await gateway.close()
        await connection.drop()
      }
    })
  })
}

describe('group commit on two replicas of one PostgreSQL database', () => {
  it('chains both replicas’ concurrent groups into one chain, each falling back to the locked head when the other moved it', async () => {
    const first = await testStores().find((factory) => factory.name === 'postgres')!.open()
    const a = await testGateway(first)
    const b = await testGateway(await openPostgres<Database>({ url: first.url!, poolSize: 4 }))
    try {
      const responses = await Promise.all(Array.from({ length: 80 }, (_, n) => (n % 2 === 0 ? a : b).call('POST', '/v1/actions', { as: 'deployBot', body: n % 5 === 0 ? write(n) : read(n) })))
      assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([201]))
      const { events, ok, problems } = await chainOf(a)
      assert.equal(ok, true, JSON.stringify(problems))
      assert.deepEqual(await a.gateway.store.auditHead(), { seq: events.length, hash: events.at(-1)!.hash })
      assertEachActionInOrder(events, responses.map((response) => response.body.id as string))
      assert.deepEqual(await a.gateway.store.stateMismatches(), [])
    } finally {
      await b.close()
      await a.close()
      await first.drop()
    }
  })
})
