import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { actionDigest } from '../action/index.js'
import { tokenSha256 } from '../service/index.js'
import { testGateway, type Person, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'

const deleteAll = { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' }, context: { reason: 'cleanup', model: 'test-model', session: 's-1' } }
const scopedUpdate = { kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE users SET plan = 2 WHERE id = 42' } }
const readOnly = { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT * FROM users' } }

for (const store of testStores()) {
  describe(`HTTP API on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection)
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    const submit = async (action: unknown, as: Person = 'deployBot', query = '') => {
      const response = await gw.call('POST', `/v1/actions${query}`, { as, body: action })
      assert.equal(response.status, 201, JSON.stringify(response.body))
      return response.body
    }
    const review = (id: string, as: Person, decision: 'approve' | 'deny', reason = 'ok') => gw.call('POST', `/v1/actions/${id}/reviews`, { as, body: { decision, reason } })
    const headSeq = async () => (await gw.auditLog.verify()).head?.seq ?? 0

    it('allows provably read-only SQL at once and records it', async () => {
      const action = await submit(readOnly)
      assert.equal(action.status, 'allowed')
      assert.deepEqual(action.decision.matched_rules, ['read-only'])
      assert.equal(action.agent, 'deploy-bot')
      assert.equal(action.owner, 'carol@example.com')
      assert.equal(action.digest, actionDigest(readOnly as Parameters<typeof actionDigest>[0]))
      const shown = await gw.call('GET', `/v1/actions/${action.id}`, { as: 'deployBot' })
      assert.deepEqual(shown.body.timeline.map((event: { type: string }) => event.type), ['action.submitted', 'action.allowed'])
    })

    it('refuses a denied action with the policy message', async () => {
      const action = await submit({ kind: 'sql', target: 'prod-db', payload: { sql: 'DROP TABLE users' } })
      assert.equal(action.status, 'denied')
      assert.deepEqual(action.decision.messages, ['Dropping is never allowed.'])
    })

    it('holds a risky action until two distinct DBAs approve', async () => {
      const action = await submit(deleteAll)
      assert.equal(action.status, 'pending')
      assert.equal(action.decision.requirements[0].min_approvals, 2)
      assert.ok(action.expires_at)
      const first = await review(action.id, 'alice', 'approve')
      assert.equal(first.status, 200)
      assert.equal(first.body.status, 'pending')
      // The same human again, however it is spelled, is not a second approval.
      const again = await review(action.id, 'alice', 'approve')
      assert.equal(again.status, 409)
      assert.equal(again.headers.get('content-type'), 'application/problem+json')
      const second = await review(action.id, 'bob', 'approve')
      assert.equal(second.body.status, 'approved')
      assert.deepEqual(second.body.decision.requirements[0].approved_by, ['alice@example.com', 'bob@example.com'])
      assert.ok(second.body.execute_by)
      // Decided: nothing moves it again.
      const late = await review(action.id, 'erin', 'deny', 'too late')
      assert.equal(late.status, 409)
      assert.equal(late.body.code, 'ALREADY_DECIDED')
    })

    it('refuses reviews from agents, the owner, the on-behalf-of human and non-approvers', async () => {
      const action = await submit({ ...scopedUpdate, context: { on_behalf_of: '  Bob@Example.COM ' } })
      assert.equal(action.on_behalf_of, 'bob@example.com')
      const attempts: [Person, number][] = [
        ['deployBot', 403], // an agent token, even the submitter's
        ['analyticsAgent', 403], // any agent token
        ['carol', 403], // owner of deploy-bot (and an admin)
        ['bob', 403], // on_behalf_of, spelled differently
        ['frank', 403], // security, not a DBA
        ['dave', 403], // auditor, not an approver
      ]
      for (const [who, status] of attempts) {
        const response = await review(action.id, who, 'approve')
        assert.equal(response.status, status, `${who}: ${JSON.stringify(response.body)}`)
        // A refused deny does not end the request either.
        assert.equal((await review(action.id, who, 'deny', 'no')).status, status)
      }
      const still = await gw.call('GET', `/v1/actions/${action.id}`, { as: 'alice' })
      assert.equal(still.body.status, 'pending')
      assert.equal(still.body.reviews.length, 0)
    })

    it('refuses a review from a human who submitted the action', async () => {
      const action = await submit(scopedUpdate, 'erin')
      assert.equal(action.submitted_by, 'human:erin@example.com')
      assert.equal((await review(action.id, 'erin', 'approve')).status, 403)
      assert.equal((await review(action.id, 'alice', 'approve')).body.status, 'approved')
    })

    it('ends a request with one eligible deny', async () => {
      const action = await submit(deleteAll)
      await review(action.id, 'alice', 'approve')
      const denied = await review(action.id, 'bob', 'deny', 'not without a WHERE')
      assert.equal(denied.body.status, 'denied')
      assert.equal((await review(action.id, 'erin', 'approve')).status, 409)
    })

    it('requires a reason to deny, and where the rule asks, to approve', async () => {
      const action = await submit(deleteAll)
      const noReason = await gw.call('POST', `/v1/actions/${action.id}/reviews`, { as: 'alice', body: { decision: 'deny' } })
      assert.equal(noReason.status, 400)
      const grant = await submit({ kind: 'sql', target: 'prod-db', payload: { sql: 'GRANT ALL ON users TO intern' } })
      const bare = await gw.call('POST', `/v1/actions/${grant.id}/reviews`, { as: 'frank', body: { decision: 'approve' } })
      assert.equal(bare.status, 400)
      assert.equal((await review(grant.id, 'frank', 'approve', 'ticket SEC-1')).body.status, 'approved')
    })

    it('ends 50 concurrent reviews in exactly one consistent outcome', async () => {
      const action = await submit(deleteAll)
      const reviewers: Person[] = ['alice', 'bob', 'erin']
      const calls = Array.from({ length: 50 }, (_, index) => review(action.id, reviewers[index % 3]!, index % 7 === 3 ? 'deny' : 'approve', `r${index}`))
      const responses = await Promise.all(calls)
      const accepted = responses.filter((response) => response.status === 200)
      assert.ok(responses.every((response) => [200, 409].includes(response.status)), JSON.stringify(responses.map((r) => r.status)))
      const final = await gw.call('GET', `/v1/actions/${action.id}`, { as: 'alice' })
      assert.ok(['approved', 'denied'].includes(final.body.status))
      // Each human reviewed at most once, and the outcome follows from the accepted reviews.
      const reviewersSeen = final.body.reviews.map((r: { reviewer: string }) => r.reviewer)
      assert.equal(new Set(reviewersSeen).size, reviewersSeen.length)
      assert.equal(accepted.length, final.body.reviews.length)
      const denies = final.body.reviews.filter((r: { decision: string }) => r.decision === 'deny').length
      assert.equal(final.body.status, denies > 0 ? 'denied' : 'approved')
      const decisions = final.body.timeline.filter((e: { type: string }) => e.type === 'action.approved' || e.type === 'action.denied')
      assert.equal(decisions.length, 1)
      assert.equal((await gw.auditLog.verify()).ok, true)
    })

    it('wakes an agent waiting on submit as soon as the review lands', async () => {
      const unique = { ...scopedUpdate, payload: { sql: 'UPDATE users SET plan = 3 WHERE id = 1001' } }
      const waiting = gw.call('POST', '/v1/actions?wait=30', { as: 'deployBot', body: unique })
      let id: string | undefined
      while (!id) {
        const list = await gw.call('GET', '/v1/actions?status=pending&agent=deploy-bot&limit=50', { as: 'alice' })
        id = list.body.actions.find((a: { payload: { sql: string } }) => a.payload.sql === unique.payload.sql)?.id
        if (!id) await new Promise((resolve) => setTimeout(resolve, 5))
      }
      await review(id, 'alice', 'approve')
      const response = await waiting
      assert.equal(response.status, 201)
      assert.equal(response.body.status, 'approved')
    })

    it('holds GET ?wait until the status changes', async () => {
      const action = await submit(scopedUpdate)
      const waiters = async () => Number(/^countersign_waiters (\d+)/m.exec((await gw.call('GET', '/metrics')).body)![1])
      const waiting = gw.call('GET', `/v1/actions/${action.id}?wait=30`, { as: 'deployBot' })
      // The held request counts in the waiters gauge (as a stream does) until it answers.
      while ((await waiters()) === 0) await new Promise((resolve) => setImmediate(resolve))
      // The waiters of one action share its reads, each authorized on its own: another agent's wait is refused at once.
      assert.equal((await gw.call('GET', `/v1/actions/${action.id}?wait=30`, { as: 'analyticsAgent' })).status, 404)
      assert.equal((await gw.call('GET', `/v1/actions/${action.id}/events`, { as: 'analyticsAgent' })).status, 404)
      await review(action.id, 'bob', 'approve')
      const approved = (await waiting).body
      assert.equal(approved.status, 'approved')
      // With its timeline, as read with the action: the review is in it.
      assert.deepEqual(approved.timeline.map((entry: { type: string }) => entry.type), ['action.submitted', 'action.pending', 'review.approve', 'action.approved'])
      assert.equal(await waiters(), 0)
      // Arriving after the decision, a wait answers at once (it holds while pending, or while ?from= holds).
      const hang = new Promise((resolve) => setTimeout(resolve, 20_000, 'still waiting').unref())
      const late = await Promise.race([gw.call('GET', `/v1/actions/${action.id}?wait=60`, { as: 'deployBot' }), hang])
      assert.notEqual(late, 'still waiting')
      const held = gw.call('GET', `/v1/actions/${action.id}?wait=30&from=approved`, { as: 'deployBot' })
      await gw.call('POST', `/v1/actions/${action.id}/outcome`, { as: 'deployBot', body: { status: 'failed', error: 'lock timeout' } })
      assert.equal((await held).body.status, 'failed')
    })

    it('streams the transitions as server-sent events', async () => {
      const action = await submit(scopedUpdate)
      const response = await gw.app.request(`/v1/actions/${action.id}/events`, { headers: { authorization: `Bearer ${gw.tokens.deployBot}` } })
      assert.equal(response.headers.get('content-type'), 'text/event-stream')
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
      let text = ''
      const statuses = () => [...text.matchAll(/"status":"(\w+)"/g)].map((m) => m[1])
      while (!statuses().includes('pending')) text += (await reader.read()).value ?? ''
      await review(action.id, 'erin', 'approve')
      await gw.call('POST', `/v1/actions/${action.id}/outcome`, { as: 'deployBot', body: { status: 'succeeded', output: 'UPDATE 1' } })
      for (;;) {
        const chunk = await reader.read()
        if (chunk.done) break
        text += chunk.value
      }
      assert.ok(text.includes('event: action'))
      // Every transition arrives, in order, even when two land between reads.
      const messages = text.split('\n\n').map((block) => Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)])))
      const transitions = messages.filter((m) => m['event'] === 'transition').map((m) => JSON.parse(m['data']!).type)
      assert.deepEqual(transitions, ['action.submitted', 'action.pending', 'review.approve', 'action.approved', 'action.succeeded'])
      assert.equal(JSON.parse(messages.filter((m) => m['event'] === 'action').at(-1)!['data']!).status, 'succeeded')
    })

    it('lets the submitting agent or an admin cancel, nobody else', async () => {
      const action = await submit(scopedUpdate)
      assert.equal((await gw.call('POST', `/v1/actions/${action.id}/cancel`, { as: 'analyticsAgent', body: {} })).status, 404)
      assert.equal((await gw.call('POST', `/v1/actions/${action.id}/cancel`, { as: 'alice', body: {} })).status, 403)
      const cancelled = await gw.call('POST', `/v1/actions/${action.id}/cancel`, { as: 'deployBot', body: { reason: 'wrong row' } })
      assert.equal(cancelled.body.status, 'cancelled')
      assert.equal((await review(action.id, 'alice', 'approve')).status, 409)
      const other = await submit(scopedUpdate)
      assert.equal((await gw.call('POST', `/v1/actions/${other.id}/cancel`, { as: 'carol' })).body.status, 'cancelled')
    })

    it('records an outcome once, with output cut at the limit and said to be', async () => {
      const action = await submit(readOnly)
      const output = 'x'.repeat(70_000)
      const done = await gw.call('POST', `/v1/actions/${action.id}/outcome`, { as: 'deployBot', body: { status: 'succeeded', exit_code: 0, output } })
      assert.equal(done.body.status, 'succeeded')
      assert.equal(done.body.result.truncated, true)
      assert.equal(done.body.result.output.length, 64 * 1024)
      assert.equal((await gw.call('POST', `/v1/actions/${action.id}/outcome`, { as: 'deployBot', body: { status: 'failed' } })).status, 409)
      const pending = await submit(scopedUpdate)
      assert.equal((await gw.call('POST', `/v1/actions/${pending.id}/outcome`, { as: 'deployBot', body: { status: 'succeeded' } })).status, 409)
    })

    it('dry-runs a decision without storing anything', async () => {
      const before = await headSeq()
      const response = await gw.call('POST', '/v1/decide', { as: 'deployBot', body: deleteAll })
      assert.equal(response.status, 200)
      assert.equal(response.body.decision.effect, 'review')
      assert.equal(await headSeq(), before)
    })

    it('answers bad requests with problem+json, changing nothing', async () => {
      const before = await headSeq()
      const cases: [string, Parameters<TestGateway['call']>[2], number][] = [
        ['malformed JSON', { as: 'deployBot', rawBody: '{"kind": "sql",', headers: { 'content-type': 'application/json' } }, 400],
        ['unknown field', { as: 'deployBot', body: { ...readOnly, extra: 1 } }, 400],
        ['unknown payload field', { as: 'deployBot', body: { ...readOnly, payload: { sql: 'SELECT 1', database: 'x' } } }, 400],
        ['unknown target', { as: 'deployBot', body: { ...readOnly, target: 'nope' } }, 400],
        ['wrong kind for the payload', { as: 'deployBot', body: { kind: 'shell', target: 'prod-db', payload: { sql: 'SELECT 1' } } }, 400],
        ['oversized body', { as: 'deployBot', body: { ...readOnly, payload: { sql: `SELECT '${'x'.repeat(3_000_000)}'` } } }, 413],
        ['no token', { body: readOnly }, 401],
        ['unknown token', { token: `cs_agent_${'x'.repeat(43)}`, body: readOnly }, 401],
        ['not JSON at all', { as: 'deployBot', rawBody: 'kind=sql', headers: { 'content-type': 'text/plain' } }, 415],
        ['chunked body', { as: 'deployBot', body: readOnly, headers: { 'transfer-encoding': 'chunked' } }, 411],
        ['a length beyond the limit', { as: 'deployBot', body: readOnly, headers: { 'content-length': '99999999' } }, 413],
      ]
      for (const [name, options, status] of cases) {
        const response = await gw.call('POST', '/v1/actions', options)
        assert.equal(response.status, status, `${name}: ${JSON.stringify(response.body).slice(0, 300)}`)
        assert.equal(response.headers.get('content-type'), 'application/problem+json', name)
        assert.equal(response.body.status, status, name)
        assert.ok(response.body.detail, name)
        if (status === 415) assert.equal(response.body.detail, 'the body must be JSON: send it with the header content-type: application/json')
      }
      assert.equal((await gw.call('GET', '/v1/actions/act_00000000000000000000000000', { as: 'alice' })).status, 404)
      assert.equal((await gw.call('GET', '/v1/actions/not-an-id', { as: 'alice' })).status, 400)
      assert.equal(await headSeq(), before)
      assert.equal((await gw.auditLog.verify()).ok, true)
    })

    it('expires a pending request at its timeout and an approval not executed in time', async () => {
      const pending = await submit(scopedUpdate)
      const approved = await submit(scopedUpdate)
      await review(approved.id, 'alice', 'approve')
      gw.advance(10 * 60_000 + 1) // past execute_within (10m), before the 1h timeout
      assert.ok((await gw.gateway.expireDue()).expired >= 1)
      assert.equal((await gw.call('GET', `/v1/actions/${approved.id}`, { as: 'alice' })).body.status, 'expired')
      assert.equal((await gw.call('GET', `/v1/actions/${pending.id}`, { as: 'alice' })).body.status, 'pending')
      gw.advance(60 * 60_000)
      // A review that arrives after the timeout but before the sweep is refused and expires it.
      const late = await review(pending.id, 'bob', 'approve')
      assert.equal(late.status, 409)
      assert.equal((await gw.call('GET', `/v1/actions/${pending.id}`, { as: 'alice' })).body.status, 'expired')
    })

    it('expires an allowed action its agent never ran, at the policy\'s execute_within', async () => {
      const allowed = await submit(readOnly)
      assert.equal(allowed.status, 'allowed')
      assert.equal(allowed.brokered, false)
      assert.ok(allowed.execute_by)
      gw.advance(Date.parse(allowed.execute_by) - Date.parse(allowed.created_at) + 1)
      assert.ok((await gw.gateway.expireDue()).expired >= 1)
      const expired = await gw.call('GET', `/v1/actions/${allowed.id}`, { as: 'alice' })
      assert.equal(expired.body.status, 'expired')
      assert.equal(expired.body.timeline.at(-1).data.reason, 'it was allowed but not executed in time')
    })

    it('lists newest first with a cursor, for humans only', async () => {
      const first = await submit(readOnly)
      const second = await submit(readOnly)
      const page = await gw.call('GET', '/v1/actions?limit=1&agent=deploy-bot', { as: 'dave' })
      assert.equal(page.body.actions[0].id, second.id)
      const next = await gw.call('GET', `/v1/actions?limit=1&agent=deploy-bot&cursor=${page.body.next_cursor}`, { as: 'dave' })
      assert.equal(next.body.actions[0].id, first.id)
      assert.equal((await gw.call('GET', '/v1/actions', { as: 'deployBot' })).status, 403)
      assert.equal((await gw.call('GET', '/v1/actions?status=pending,nonsense', { as: 'dave' })).status, 400)
      // Listings are brief: a long payload is omitted (and says so), the action itself has it all.
      const long = await submit({ kind: 'sql', target: 'prod-db', payload: { sql: `SELECT '${'x'.repeat(5000)}'` } })
      const listed = (await gw.call('GET', '/v1/actions?limit=1', { as: 'dave' })).body.actions[0]
      assert.equal(listed.id, long.id)
      assert.equal(listed.payload_omitted, true)
      const full = await gw.call('GET', `/v1/actions/${long.id}`, { as: 'dave' })
      assert.equal(full.body.payload?.sql?.length, 5009, JSON.stringify(full.body).slice(0, 300))
      // An agent sees only its own actions.
      assert.equal((await gw.call('GET', `/v1/actions/${first.id}`, { as: 'analyticsAgent' })).status, 404)
    })

    it('serves the audit log to auditors and finds a modified event', async () => {
      assert.equal((await gw.call('GET', '/v1/audit', { as: 'deployBot' })).status, 403)
      assert.equal((await gw.call('GET', '/v1/audit', { as: 'bob' })).status, 403)
      const page = await gw.call('GET', '/v1/audit?limit=5', { as: 'dave' })
      assert.equal(page.body.events[0].seq, 1)
      assert.equal(page.body.events[0].event.type, 'policy.loaded')
      const verified = await gw.call('GET', '/v1/audit/verify', { as: 'alice' })
      assert.equal(verified.body.ok, true)
      await gw.auditLog.checkpoint()
      await sql`update audit_events set event = replace(event, 'cleanup', 'CLEANUP') where seq = (select min(seq) from audit_events where event like '%cleanup%')`.execute(gw.store.db)
      const tampered = await gw.call('GET', '/v1/audit/verify', { as: 'alice' })
      assert.equal(tampered.body.ok, false)
      assert.equal(tampered.body.problems[0].kind, 'modified')
    })

    it('issues agent tokens to admins and personal tokens to their holder only', async () => {
      assert.equal((await gw.call('POST', '/v1/tokens', { as: 'alice', body: { agent: 'deploy-bot' } })).status, 403)
      const issued = await gw.call('POST', '/v1/tokens', { as: 'carol', body: { agent: 'deploy-bot', name: 'ci', expires_in: 3600 } })
      assert.equal(issued.status, 201)
      assert.match(issued.body.token, /^cs_agent_/)
      assert.equal((await gw.call('GET', '/v1/me', { token: issued.body.token })).body.id, 'deploy-bot')
      gw.advance(3601_000)
      assert.equal((await gw.call('GET', '/v1/me', { token: issued.body.token })).status, 401)
      // An admin minting tokens for others could countersign her own agent's actions as them.
      assert.equal((await gw.call('POST', '/v1/tokens', { as: 'carol', body: { user: 'bob@example.com' } })).status, 403)
      const own = await gw.call('POST', '/v1/tokens', { as: 'bob', body: { user: 'Bob@Example.com' } })
      assert.equal(own.status, 201)
      assert.equal((await gw.call('GET', '/v1/me', { token: own.body.token })).body.id, 'bob@example.com')
      assert.equal((await gw.call('DELETE', `/v1/tokens/${own.body.token_sha256}`, { as: 'alice' })).status, 403)
      assert.equal((await gw.call('DELETE', `/v1/tokens/${own.body.token_sha256}`, { as: 'bob' })).status, 204)
      assert.equal((await gw.call('GET', '/v1/me', { token: own.body.token })).status, 401)
    })

    it('refuses a run-time token of a human the config does not list (offboarded)', async () => {
      const token = `cs_user_${'g'.repeat(43)}`
      await gw.store.createToken(
        { sha256: tokenSha256(token), principalType: 'human', subject: 'ghost@example.com', name: '', createdAt: gw.gateway.now(), createdBy: 'human:ghost@example.com', expiresAt: null, revokedAt: null },
        { type: 'token.created', action_id: null, actor: 'human:ghost@example.com', channel: 'api', digest: null, policy_version: null, data: {} },
      )
      assert.equal((await gw.call('GET', '/v1/me', { token })).status, 401)
    })

    it('refuses an on_behalf_of that is not a plain ASCII email, and folds its spellings', async () => {
      // Full-width and other look-alike letters are refused at the edge rather than guessed at.
      for (const spelling of ['Bob Smith <bob@example.com>', 'mailto:bob@example.com', 'bob@example.com\u200b', 'bob@example.com.', 'bob', '\uff42\uff4f\uff42@example.com']) {
        const response = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { ...scopedUpdate, context: { on_behalf_of: spelling } } })
        assert.equal(response.status, 400, spelling)
      }
      const tagged = await submit({ ...scopedUpdate, context: { on_behalf_of: 'BOB+ops@example.com' } })
      assert.equal((await review(tagged.id, 'bob', 'approve')).status, 403)
    })

    it('keeps one agent\'s unwritable submission from failing the others written with it', async () => {
      const results = await Promise.all([
        gw.call('POST', '/v1/actions', { as: 'analyticsAgent', body: { ...readOnly, context: { reason: '\ud800' } } }),
        ...Array.from({ length: 5 }, () => gw.call('POST', '/v1/actions', { as: 'deployBot', body: readOnly })),
      ])
      assert.equal(results[0]!.status, 400)
      assert.deepEqual(results.slice(1).map((r) => r.status), [201, 201, 201, 201, 201])
    })

    it('refuses an outcome report for a target Countersign executes itself', async () => {
      const action = await submit({ kind: 'sql', target: 'staging-db', payload: { sql: 'SELECT 1' } })
      assert.equal(action.status, 'allowed')
      assert.equal((await gw.call('POST', `/v1/actions/${action.id}/outcome`, { as: 'deployBot', body: { status: 'succeeded' } })).status, 403)
    })

    it('finds state changed behind the audit log: a swapped payload, a forced status, a forged review', async () => {
      // A quiet chain: the executor may still be recording an earlier test's brokered actions, which would move the head between checkpoints.
      await gw.executor.stop()
      const checkpoints = await Promise.all([gw.auditLog.checkpoint(), gw.auditLog.checkpoint(), gw.auditLog.checkpoint()])
      gw.executor.start()
      assert.ok(checkpoints.filter(Boolean).length <= 1)
      // (An earlier test modified one event on purpose; nothing else is wrong yet.)
      assert.deepEqual((await gw.auditLog.verify()).problems.filter((p) => p.kind !== 'modified'), [])
      const a = await submit(scopedUpdate)
      const b = await submit(deleteAll)
      await sql`update actions set action_json = replace(action_json, 'id = 42', 'id > 0') where id = ${a.id}`.execute(gw.store.db)
      await sql`update actions set status = 'approved' where id = ${b.id}`.execute(gw.store.db)
      await sql`insert into reviews (action_id, reviewer, decision, reason, channel, requirements, created_at) values (${b.id}, 'erin@example.com', 'approve', 'x', 'api', '["unscoped-writes"]', now())`.execute(gw.store.db)
      const report = await gw.auditLog.verify()
      assert.equal(report.ok, false)
      const messages = report.problems.filter((p) => p.kind === 'state_mismatch').map((p) => p.message)
      assert.ok(messages.some((m) => m.includes(a.id) && m.includes('digest')), messages.join('\n'))
      assert.ok(messages.some((m) => m.includes(b.id) && m.includes('status approved')), messages.join('\n'))
      assert.ok(messages.some((m) => m.includes(b.id) && m.includes('review by erin@example.com')), messages.join('\n'))
    })

    it('reloads the policy only when it is valid, and records it before it decides anything', async () => {
      const before = gw.policy.current.version
      writeFileSync(gw.config.policy, 'version: 1\nrules: [{ id: broken, when: "sql.nope", effect: allow }]\n')
      await gw.reloadPolicy()
      assert.equal(gw.policy.current.version, before)
      writeFileSync(gw.config.policy, 'version: 1\ndefault: deny\n')
      await gw.reloadPolicy()
      assert.notEqual(gw.policy.current.version, before)
      const head = await gw.auditLog.page({ type: 'human', email: 'dave@example.com', groups: [], admin: false, auditor: true }, 0, 5000)
      const last = JSON.parse(head.events.at(-1)!.event)
      assert.equal(last.type, 'policy.loaded')
      assert.equal(last.policy_version, gw.policy.current.version)
      assert.equal((await submit(readOnly)).status, 'denied')
    })

    it('publishes an OpenAPI 3.1 document and health endpoints', async () => {
      const doc = await gw.call('GET', '/openapi.json')
      assert.equal(doc.body.openapi, '3.1.0')
      for (const path of ['/v1/actions', '/v1/actions/{id}', '/v1/actions/{id}/reviews', '/v1/actions/{id}/cancel', '/v1/actions/{id}/events', '/v1/decide', '/v1/audit', '/v1/audit/verify']) assert.ok(doc.body.paths[path], path)
      assert.equal((await gw.call('GET', '/healthz')).status, 200)
      assert.equal((await gw.call('GET', '/readyz')).status, 200)
      assert.match((await gw.call('GET', '/metrics')).body, /countersign_decisions_total/)
    })
  })
}
