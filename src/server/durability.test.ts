import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { TEST_POLICY } from './test-gateway.js'
import { callApi, spawnGateway, writeTestConfig } from './test-process.js'

// Pending requests of this policy expire 3 s after submission.
const POLICY = TEST_POLICY.replace('review: { approvers: [group:dba], timeout: 1h, execute_within: 10m }', 'review: { approvers: [group:dba], timeout: 3s, execute_within: 10m }')
const scoped = (n: number) => ({ kind: 'sql', target: 'prod-db', payload: { sql: `UPDATE users SET plan = 1 WHERE id = ${n}` } })
const deleteAll = (n: number) => ({ kind: 'sql', target: 'prod-db', payload: { sql: `DELETE FROM t${n}` } })

describe('a gateway killed with SIGKILL on the embedded store', () => {
  it('keeps every acknowledged submission and review, still expires pending ones on time, and its audit chain verifies', async () => {
    assert.notEqual(POLICY, TEST_POLICY)
    const config = writeTestConfig({ data_dir: join(mkdtempSync(join(tmpdir(), 'countersign-kill-')), 'data') }, POLICY)
    const first = await spawnGateway(config.file)

    // Some pending requests with one approval of two, and agents waiting on them.
    const waiting: string[] = []
    for (let n = 0; n < 5; n++) {
      const pending = await callApi(first.url, 'POST', '/v1/actions', config.tokens.agent, deleteAll(n))
      assert.equal(pending.body.status, 'pending')
      assert.equal((await callApi(first.url, 'POST', `/v1/actions/${pending.body.id}/reviews`, config.tokens.alice, { decision: 'approve', reason: 'one of two' })).status, 200)
      waiting.push(pending.body.id)
      void callApi(first.url, 'GET', `/v1/actions/${pending.body.id}?wait=60`, config.tokens.agent).catch(() => undefined)
    }

    // Submissions and reviews in flight when the process is killed: only acknowledged ones count.
    const acknowledged = new Map<string, string>()
    const reviewed = new Set<string>()
    let stop = false
    const traffic = Array.from({ length: 8 }, async (_, worker) => {
      for (let n = 0; !stop; n++) {
        try {
          const response = await callApi(first.url, 'POST', '/v1/actions', config.tokens.agent, scoped(worker * 100_000 + n))
          if (response.status !== 201) continue
          acknowledged.set(response.body.id, response.body.status)
          if (n % 3 === 0) {
            const review = await callApi(first.url, 'POST', `/v1/actions/${response.body.id}/reviews`, config.tokens.bob, { decision: 'approve', reason: 'fine' })
            if (review.status === 200) reviewed.add(response.body.id)
          }
        } catch {
          return // the connection died with the process
        }
      }
    })
    while (acknowledged.size < 60) await new Promise((resolve) => setTimeout(resolve, 10))
    first.child.kill('SIGKILL')
    assert.equal(await first.exited, 'SIGKILL')
    stop = true
    await Promise.all(traffic)

    // The lock of the killed process is stale: a new process takes the data directory over.
    const second = await spawnGateway(config.file)
    try {
      for (const [id] of acknowledged) {
        const shown = await callApi(second.url, 'GET', `/v1/actions/${id}`, config.tokens.alice)
        assert.equal(shown.status, 200, `acknowledged ${id} lost`)
        if (reviewed.has(id)) assert.equal(shown.body.status, 'approved', `review of ${id} lost`)
      }
      for (const id of waiting) {
        const shown = await callApi(second.url, 'GET', `/v1/actions/${id}`, config.tokens.alice)
        assert.ok(['pending', 'expired'].includes(shown.body.status))
        assert.deepEqual(shown.body.reviews.map((r: { reviewer: string }) => r.reviewer), ['alice@example.com'])
      }
      // A pending request made before the crash still expires at its timeout (3 s).
      const unreviewed = [...acknowledged].find(([id, status]) => status === 'pending' && !reviewed.has(id))![0]
      const expired = await callApi(second.url, 'GET', `/v1/actions/${unreviewed}?wait=10`, config.tokens.alice)
      assert.equal(expired.body.status, 'expired')
      const verified = await callApi(second.url, 'GET', '/v1/audit/verify', config.tokens.alice)
      assert.equal(verified.body.ok, true, JSON.stringify(verified.body.problems))
    } finally {
      second.child.kill('SIGTERM')
      assert.equal(await second.exited, 0)
    }
  })
})
