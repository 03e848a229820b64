import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { verifyChain } from '../audit/index.js'
import { openPostgres, testStores } from './connection/index.js'
import type { ActionChange, ActionRecord, AuditDraft } from './records.js'
import type { Database } from './schema.js'
import { Store } from './store.js'

const EXECUTOR = 'executor:test'
const DIGEST = 'a'.repeat(64)

const draft = (id: string, type: AuditDraft['type']): AuditDraft => ({ type, action_id: id, actor: 'system', channel: 'system', digest: DIGEST, policy_version: 'p', data: {} })

/** Stores an action `executing` under EXECUTOR's lease, as the executor has it after claiming it. */
async function claimed(store: Store, id: string): Promise<ActionRecord> {
  const at = new Date()
  const record = {
    id, createdAt: at, status: 'executing', kind: 'sql', target: 'app-db', submittedBy: 'agent:a', agentId: 'a', owner: null, onBehalfOf: null,
    actionJson: '{}', context: {}, digest: DIGEST, decision: { effect: 'allow' }, impact: {}, policyVersion: 'p', expiresAt: null, executeBy: null,
    deadline: new Date(at.getTime() + 60_000), result: null, brokered: true,
  }
  await store.createAction({ record, events: [draft(id, 'action.submitted'), draft(id, 'action.executing')], leaseOwner: EXECUTOR })
  return { ...record, updatedAt: at, version: 1, leaseOwner: EXECUTOR }
}

/** What `finishExecution` decides: the result, only while EXECUTOR holds the lease. */
const finish = (current: ActionRecord, now: Date): { change?: ActionChange; value: boolean } =>
  current.status !== 'executing' || current.leaseOwner !== EXECUTOR
    ? { value: false }
    : { change: { status: 'succeeded', deadline: null, leaseOwner: null, result: { status: 'succeeded', finished_at: now.toISOString() }, events: [draft(current.id, 'action.succeeded')] }, value: true }

/** `finish`, counting its calls: once when the one statement wrote, again when the locked path decided. */
function counted() {
  const calls: string[] = []
  return { calls, decide: (current: ActionRecord, now: Date) => (calls.push(current.status), finish(current, now)) }
}

async function chainOf(store: Store) {
  const events = []
  for await (const stored of store.allAuditEvents()) events.push(stored)
  return { report: await verifyChain(events), events }
}

// The executor's result is written in one statement that applies only while the action is as the
// executor claimed it and the chain's head is where the store left it; otherwise the locked path decides again.
for (const factory of testStores()) {
  describe(`mutateActionFrom on ${factory.name}`, () => {
    it('records the change and its event in one statement, returning the action as stored', async () => {
      const connection = await factory.open()
      try {
        const store = await Store.open(connection)
        const expected = await claimed(store, 'act-1')
        const { calls, decide } = counted()
        const outcome = await store.mutateActionFrom(expected, decide)
        assert.deepEqual(calls, ['executing'], 'decided once, on the claimed action: no locked path')
        assert.equal(outcome.changed, true)
        assert.equal(outcome.value, true)
        const stored = await store.getAction('act-1')
        const written = (record: ActionRecord | undefined) => record && { ...record, tokenIssuedBy: null, routeAt: null, breakGlass: null, breakGlassDue: null, breakGlassFlagged: false }
        assert.deepEqual(written(outcome.record), written(stored))
        assert.equal(stored?.status, 'succeeded')
        assert.equal(stored?.leaseOwner, null)
        assert.equal(stored?.version, 2)
        const { report, events } = await chainOf(store)
        assert.equal(report.ok, true, JSON.stringify(report.problems))
        assert.deepEqual(events.map((event) => (JSON.parse(event.event) as { type: string }).type), ['action.submitted', 'action.executing', 'action.succeeded'])
      } finally {
        await connection.drop()
      }
    })

    it('chains after the head another writer moved (the locked path)', async () => {
      const connection = await factory.open()
      const other = connection.url ? await openPostgres<Database>({ url: connection.url, poolSize: 2 }) : connection
      try {
        const store = await Store.open(connection)
        const expected = await claimed(store, 'act-2')
        await (await Store.open(other)).appendEvents([{ ...draft('act-2', 'policy.loaded'), action_id: null }])
        const { calls, decide } = counted()
        const outcome = await store.mutateActionFrom(expected, decide)
        assert.deepEqual(calls, ['executing', 'executing'], 'decided again on the locked row')
        assert.equal(outcome.changed, true)
        assert.equal((await store.getAction('act-2'))?.status, 'succeeded')
        const { report, events } = await chainOf(store)
        assert.equal(report.ok, true, JSON.stringify(report.problems))
        assert.deepEqual(events.map((event) => (JSON.parse(event.event) as { type: string }).type), ['action.submitted', 'action.executing', 'policy.loaded', 'action.succeeded'])
      } finally {
        if (other !== connection) await other.close()
        await connection.drop()
      }
    })

    it('does not record a result once the lease was lost, and appends nothing', async () => {
      const connection = await factory.open()
      try {
        const store = await Store.open(connection)
        const expected = await claimed(store, 'act-3')
        // The lease ended meanwhile (as the expiry sweep of another replica fails it).
        const failed = await store.mutateAction('act-3', (current) => ({
          change: { status: 'failed', deadline: null, leaseOwner: null, result: { status: 'failed' }, events: [draft(current.id, 'action.failed')] },
          value: undefined,
        }))
        assert.equal(failed.record.version, 2)
        const { calls, decide } = counted()
        const outcome = await store.mutateActionFrom(expected, decide)
        assert.deepEqual(calls, ['executing', 'failed'], 'the one statement wrote nothing; the locked row decided')
        assert.equal(outcome.changed, false)
        assert.equal(outcome.value, false)
        assert.equal(outcome.record.status, 'failed')
        assert.deepEqual(await store.getAction('act-3'), failed.record)
        const { events } = await chainOf(store)
        assert.deepEqual(events.map((event) => (JSON.parse(event.event) as { type: string }).type), ['action.submitted', 'action.executing', 'action.failed'])
      } finally {
        await connection.drop()
      }
    })

    it('writes nothing in its one statement when the row no longer matches, even with the head unmoved', async () => {
      const connection = await factory.open()
      try {
        const store = await Store.open(connection)
        const expected = await claimed(store, 'act-4')
        // The lease taken over without an audit event (as no code path does): only the row says so.
        await sql`update actions set lease_owner = 'executor:other' where id = 'act-4'`.execute(store.db)
        const outcome = await store.mutateActionFrom(expected, finish)
        assert.equal(outcome.changed, false)
        assert.equal((await store.getAction('act-4'))?.status, 'executing')
        const { report, events } = await chainOf(store)
        assert.equal(report.ok, true, JSON.stringify(report.problems))
        assert.equal(events.length, 2)
      } finally {
        await connection.drop()
      }
    })
  })
}
