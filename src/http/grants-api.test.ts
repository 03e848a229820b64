import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { serve, type ServerType } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { cliAgainst } from '../cli/test-api-stand-in.js'
import { testGateway, type Person, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'

const POLICY = `
version: 1
default: deny
rules:
  - id: read-only
    match: { kind: sql }
    when: sql.read_only
    effect: allow
  - id: never-payments
    match: { kind: sql }
    when: sql.tables.exists(t, t == "payments")
    effect: deny
  - id: scoped-writes
    match: { kind: sql, env: prod }
    when: sql.statements.exists(s, s.type in ["update", "delete"])
    effect: review
    review: { approvers: [group:dba], timeout: 1h, execute_within: 10m, grants: { max_ttl: 1h, max_uses: 3 } }
  - id: grantless
    match: { kind: sql, env: prod }
    when: sql.statements.exists(s, s.type == "insert")
    effect: review
    review: { approvers: [group:dba] }
`

const update = (id: number, table = 'users') => ({ kind: 'sql', target: 'prod-db', payload: { sql: `UPDATE ${table} SET plan = 2 WHERE id = ${id}` } })

for (const store of testStores()) {
  describe(`narrowing grants on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection, { policy: POLICY, now: new Date('2026-03-02T09:00:00.000Z') })
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    const submit = async (action: unknown, as: Person = 'deployBot') => {
      const response = await gw.call('POST', '/v1/actions', { as, body: action })
      assert.equal(response.status, 201, JSON.stringify(response.body))
      return response.body
    }
    const review = (id: string, as: Person, body: Record<string, unknown>) => gw.call('POST', `/v1/actions/${id}/reviews`, { as, body })
    /** Approves a fresh update with a grant by bob; returns the grant's id. */
    const revokeAll = async () => {
      for (const old of (await gw.call('GET', '/v1/grants?live=true', { as: 'carol' })).body.grants) await gw.call('DELETE', `/v1/grants/${old.id}`, { as: 'carol' })
    }
    const granted = async (ttl = '30m', maxUses = 3) => {
      // Each test starts from no live grant, so that it sees only the grant it made.
      await revokeAll()
      const pending = await submit(update(1))
      assert.equal(pending.status, 'pending')
      const approved = await review(pending.id, 'bob', { decision: 'approve', reason: 'ok', grant: { ttl, max_uses: maxUses } })
      assert.equal(approved.status, 200, JSON.stringify(approved.body))
      assert.equal(approved.body.status, 'approved')
      const grants = await gw.call('GET', '/v1/grants?live=true', { as: 'bob' })
      const grant = grants.body.grants.find((g: { action_id: string }) => g.action_id === pending.id)
      assert.ok(grant, 'the approval made a grant')
      return grant as { id: string; uses: number; max_uses: number; reviewers: { email: string }[]; shape: Record<string, unknown> }
    }

    it('allows a later action of the same shape, citing the grant and its reviewers in the decision and the audit log', async () => {
      const grant = await granted()
      assert.deepEqual(grant.reviewers.map((r) => r.email), ['bob@example.com'])
      assert.deepEqual(grant.shape['tables'], ['users'])
      const later = await submit(update(2))
      assert.equal(later.status, 'allowed')
      assert.equal(later.decision.effect, 'allow')
      assert.equal(later.decision.grant.id, grant.id)
      assert.deepEqual(later.decision.grant.reviewers.map((r: { email: string }) => r.email), ['bob@example.com'])
      assert.match(later.decision.explanation, new RegExp(`allowed by grant ${grant.id} from bob@example.com`))
      const shown = await gw.call('GET', `/v1/actions/${later.id}`, { as: 'erin' })
      const allowed = shown.body.timeline.find((entry: { type: string }) => entry.type === 'action.allowed')
      assert.equal(allowed.data.grant.id, grant.id)
      assert.equal(allowed.data.grant.uses, 1)
    })

    it('puts the grant and its reviewers in the receipt of an action its agent runs itself', async () => {
      const grant = await granted()
      const later = await submit(update(3))
      const receipt = await gw.call('GET', `/v1/actions/${later.id}/receipt`, { as: 'deployBot' })
      assert.equal(receipt.status, 200, JSON.stringify(receipt.body))
      const claims = JSON.parse(Buffer.from(receipt.body.receipt.split('.')[1], 'base64url').toString('utf8'))
      assert.equal(claims.grant, grant.id)
      assert.deepEqual(claims.approvers, ['bob@example.com'])
    })

    it('refuses another agent, a new table and an action another rule denies', async () => {
      await granted()
      assert.equal((await submit(update(4), 'analyticsAgent')).status, 'pending')
      assert.equal((await submit(update(4, 'accounts'))).status, 'pending')
      const denied = await submit({ kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE payments SET plan = 2 WHERE id = 4' } })
      assert.equal(denied.status, 'denied')
      assert.equal(denied.decision.grant, undefined)
    })

    it('refuses a grant beyond the rule\'s max_ttl or max_uses, or under a rule without grants, and changes nothing', async () => {
      await revokeAll()
      const pending = await submit(update(5))
      const tooLong = await review(pending.id, 'bob', { decision: 'approve', grant: { ttl: '2h', max_uses: 1 } })
      assert.equal(tooLong.status, 400)
      assert.match(tooLong.body.detail, /at most 60 minutes/)
      const tooMany = await review(pending.id, 'bob', { decision: 'approve', grant: { ttl: '10m', max_uses: 4 } })
      assert.equal(tooMany.status, 400)
      assert.equal((await gw.call('GET', `/v1/actions/${pending.id}`, { as: 'bob' })).body.status, 'pending')
      const insert = await submit({ kind: 'sql', target: 'prod-db', payload: { sql: 'INSERT INTO users (id) VALUES (1)' } })
      const refused = await review(insert.id, 'bob', { decision: 'approve', grant: { ttl: '10m', max_uses: 1 } })
      assert.equal(refused.status, 400)
      assert.match(refused.body.detail, /rule grantless has no review.grants/)
    })

    it('lets only an eligible reviewer grant: the agent\'s owner and a non-approver are refused', async () => {
      await revokeAll()
      const pending = await submit(update(6))
      const owner = await review(pending.id, 'carol', { decision: 'approve', grant: { ttl: '10m', max_uses: 1 } })
      assert.equal(owner.status, 403)
      const outsider = await review(pending.id, 'frank', { decision: 'approve', grant: { ttl: '10m', max_uses: 1 } })
      assert.equal(outsider.status, 403)
    })

    it('ends at its expiry on the gateway clock', async () => {
      const grant = await granted('10m', 3)
      gw.advance(10 * 60_000)
      const later = await submit(update(7))
      assert.equal(later.status, 'pending')
      assert.equal((await gw.call('GET', '/v1/grants?live=true', { as: 'bob' })).body.grants.some((g: { id: string }) => g.id === grant.id), false)
    })

    it('is used at most max_uses times, even by concurrent submissions', async () => {
      const grant = await granted('30m', 3)
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => submit(update(100 + i))))
      assert.equal(results.filter((r) => r.status === 'allowed').length, 3)
      assert.equal(results.filter((r) => r.status === 'pending').length, 5)
      const listed = (await gw.call('GET', '/v1/grants', { as: 'bob' })).body.grants.find((g: { id: string }) => g.id === grant.id)
      assert.equal(listed.uses, 3)
      assert.equal(listed.live, false)
    })

    it('is revoked by a granter or an admin, at once, with an audit event; others cannot', async () => {
      const grant = await granted()
      assert.equal((await gw.call('DELETE', `/v1/grants/${grant.id}`, { as: 'erin' })).status, 403)
      assert.equal((await gw.call('DELETE', `/v1/grants/${grant.id}`, { as: 'deployBot' })).status, 403)
      const revoked = await gw.call('DELETE', `/v1/grants/${grant.id}`, { as: 'carol', body: { reason: 'done for today' } })
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body))
      assert.equal(revoked.body.revoked_by, 'human:carol@example.com')
      assert.equal((await gw.call('DELETE', `/v1/grants/${grant.id}`, { as: 'bob' })).status, 409)
      assert.equal((await submit(update(8))).status, 'pending')
      const audit = await gw.call('GET', '/v1/audit?limit=1000', { as: 'dave' })
      const events = audit.body.events.map((e: { event: unknown }) => e.event)
      assert.ok(events.some((e: { type: string; data: { grant?: string } }) => e.type === 'grant.revoked' && e.data.grant === grant.id))
      assert.ok(events.some((e: { type: string; data: { grant?: string } }) => e.type === 'grant.created' && e.data.grant === grant.id))
      const verify = await gw.call('GET', '/v1/audit/verify', { as: 'dave' })
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body))
    })

    it('is approved with, listed and revoked by the CLI over real HTTP', async () => {
      await revokeAll()
      const server: ServerType = serve({ fetch: gw.app.fetch, hostname: '127.0.0.1', port: 0 })
      await new Promise((resolve) => server.once('listening', resolve))
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        const as = (who: Person, argv: string[]) => cliAgainst({ url, token: gw.tokens[who] }, argv)
        const pending = await submit(update(11))
        const badUses = await as('bob', ['approve', pending.id, '--grant', '20m', '--grant-uses', 'many'])
        assert.equal(badUses.code, 2)
        assert.match(badUses.stderr, /--grant-uses: expected a whole number/)
        const approved = await as('bob', ['approve', pending.id, '--reason', 'ok', '--grant', '20m', '--grant-uses', '2'])
        assert.equal(approved.code, 0, approved.stderr)
        const listed = await as('bob', ['grants', 'list', '--live'])
        assert.equal(listed.code, 0, listed.stderr)
        const id = /^(grt_\S+) {2}live until \S+ {2}0\/2 used {2}sql on prod-db for agent:deploy-bot$/m.exec(listed.stdout)?.[1]
        assert.ok(id, listed.stdout)
        assert.match(listed.stdout, new RegExp(`from ${pending.id} by bob@example.com \\(rule scoped-writes\\)`))
        const revoked = await as('bob', ['grants', 'revoke', id, '--reason', 'done'])
        assert.equal(revoked.code, 0, revoked.stderr)
        assert.match(revoked.stdout, /revoked .* by human:bob@example.com/)
        assert.equal((await as('bob', ['grants', 'list', '--live'])).stdout, 'no live grants\n')
        const bad = await as('bob', ['grants', 'revoke', 'grt_x'])
        assert.equal(bad.code, 2)
      } finally {
        await new Promise((resolve) => server.close(resolve))
      }
    })

    it('makes no grant when not every approver asked for one', async () => {
      await revokeAll()
      const pending = await submit(update(9))
      const approved = await review(pending.id, 'bob', { decision: 'approve', reason: 'ok' })
      assert.equal(approved.body.status, 'approved')
      const grants = (await gw.call('GET', '/v1/grants', { as: 'bob' })).body.grants
      assert.equal(grants.some((g: { action_id: string }) => g.action_id === pending.id), false)
    })
  })
}
