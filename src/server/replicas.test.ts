import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { callApi, spawnGateway, writeTestConfig, type GatewayProcess, type TestConfigFile } from './test-process.js'

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres'
const deleteAll = { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } }

describe('two gateway replicas on one PostgreSQL database', () => {
  const database = `cs_replicas_${randomBytes(6).toString('hex')}`
  let config: TestConfigFile
  let a: GatewayProcess
  let b: GatewayProcess

  before(async () => {
    const admin = new pg.Client(ADMIN_URL)
    await admin.connect()
    await admin.query(`create database ${database}`)
    await admin.end()
    config = writeTestConfig({ database_url: `postgres://postgres@127.0.0.1:5432/${database}` })
    // One at a time: the second replica finds the schema migrated by the first.
    a = await spawnGateway(config.file)
    b = await spawnGateway(config.file)
  })

  after(async () => {
    for (const replica of [a, b]) {
      replica?.child.kill('SIGTERM')
      await replica?.exited
    }
    const admin = new pg.Client(ADMIN_URL)
    await admin.connect()
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  })

  it('wakes an agent waiting on replica A when the approval arrives at replica B', async () => {
    const submitted = await callApi(a.url, 'POST', '/v1/actions', config.tokens.agent, { kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE users SET plan = 1 WHERE id = 7' } })
    assert.equal(submitted.body.status, 'pending')
    const waiting = callApi(a.url, 'GET', `/v1/actions/${submitted.body.id}?wait=30`, config.tokens.agent)
    const approved = await callApi(b.url, 'POST', `/v1/actions/${submitted.body.id}/reviews`, config.tokens.alice, { decision: 'approve', reason: 'ok' })
    assert.equal(approved.body.status, 'approved')
    const woken = await waiting
    assert.equal(woken.body.status, 'approved')
    assert.deepEqual(woken.body.reviews.map((r: { reviewer: string }) => r.reviewer), ['alice@example.com'])
  })

  it('ends 50 concurrent reviews split over both replicas in exactly one final state', async () => {
    const submitted = await callApi(a.url, 'POST', '/v1/actions', config.tokens.agent, deleteAll)
    assert.equal(submitted.body.status, 'pending')
    const reviewers = [config.tokens.alice, config.tokens.bob, config.tokens.erin]
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        callApi(index % 2 === 0 ? a.url : b.url, 'POST', `/v1/actions/${submitted.body.id}/reviews`, reviewers[index % 3], { decision: index % 5 === 4 ? 'deny' : 'approve', reason: `r${index}` }),
      ),
    )
    assert.ok(responses.every((response) => response.status === 200 || response.status === 409), JSON.stringify(responses.map((r) => r.status)))
    const [fromA, fromB] = await Promise.all([a, b].map((replica) => callApi(replica.url, 'GET', `/v1/actions/${submitted.body.id}`, config.tokens.alice)))
    assert.deepEqual(fromA!.body.status, fromB!.body.status)
    assert.ok(['approved', 'denied'].includes(fromA!.body.status))
    const decided = fromA!.body.timeline.filter((event: { type: string }) => event.type === 'action.approved' || event.type === 'action.denied')
    assert.equal(decided.length, 1)
    const reviewers_ = fromA!.body.reviews.map((r: { reviewer: string }) => r.reviewer)
    assert.equal(new Set(reviewers_).size, reviewers_.length)
    assert.equal(responses.filter((r) => r.status === 200).length, reviewers_.length)
    const verified = await callApi(b.url, 'GET', '/v1/audit/verify', config.tokens.alice)
    assert.equal(verified.body.ok, true, JSON.stringify(verified.body.problems))
  })
})
