import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { serve } from '@hono/node-server'
import { cliAgainst } from '../cli/test-api-stand-in.js'
import { testGateway, type Person, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'

const HOUR = 3_600_000
/** Shell actions need two security reviewers (carol, frank); carol is away and lends her rights. */
const POLICY = `
version: 1
default: deny
rules:
  - id: shell-security
    match: { kind: shell }
    effect: review
    review: { approvers: [group:security], min_approvals: 2, timeout: 1h }
`

for (const store of testStores()) {
  describe(`delegation of review rights on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection, { policy: POLICY, now: new Date('2026-12-07T09:00:00Z') })
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    // analytics-agent is alice's; deploy-bot is carol's.
    const submit = async (as: Person = 'analyticsAgent') => {
      const response = await gw.call('POST', '/v1/actions', { as, body: { kind: 'shell', target: 'build-host', payload: { command: 'systemctl restart app' } } })
      assert.equal(response.status, 201, JSON.stringify(response.body))
      return response.body.id as string
    }
    const review = (id: string, as: Person) => gw.call('POST', `/v1/actions/${id}/reviews`, { as, body: { decision: 'approve', reason: 'ok' } })
    const delegate = (as: Person, body: Record<string, unknown>) => gw.call('POST', '/v1/delegations', { as, body })
    const until = (hours: number) => new Date(gw.gateway.now().getTime() + hours * HOUR).toISOString()

    it('refuses a delegation to an agent or an unknown person, to oneself, by an agent, or for a bad period', async () => {
      assert.equal((await delegate('carol', { to: 'deploy-bot', until: until(8) })).status, 400)
      assert.match((await delegate('carol', { to: 'mallory@elsewhere.test', until: until(8) })).body.detail, /not a human of this gateway/)
      assert.equal((await delegate('carol', { to: 'carol@example.com', until: until(8) })).status, 400)
      assert.equal((await delegate('deployBot', { to: 'bob@example.com', until: until(8) })).status, 403)
      assert.equal((await delegate('carol', { to: 'bob@example.com', until: until(-1) })).status, 400)
      assert.equal((await delegate('carol', { to: 'bob@example.com', until: until(31 * 24) })).status, 400)
      assert.equal((await delegate('bob', { to: 'erin@example.com', until: until(8), delegator: 'carol@example.com' })).status, 403, 'only admins lend others\' rights')
    })

    it('lets the delegate review with the lent right, as themselves, once per lender: audited and stored with the action', async () => {
      const created = await delegate('carol', { to: 'bob@example.com', until: until(8), reason: 'on leave' })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id = await submit()
      assert.equal((await review(id, 'erin')).status, 403, 'erin has no security rights of her own and none lent')
      // The inbox and the console's review form know the lent right too.
      const eligibility = (await gw.call('GET', `/v1/actions/${id}/eligibility`, { as: 'bob' })).body
      assert.deepEqual(eligibility, { eligible: true, requirements: ['shell-security'], code: null, reason: null })
      const byBob = await review(id, 'bob')
      assert.equal(byBob.status, 200, JSON.stringify(byBob.body))
      assert.equal(byBob.body.status, 'pending', 'one of two approvals')
      assert.deepEqual(byBob.body.decision.requirements[0].approvers, ['group:security', 'user:bob@example.com'])
      const carolLate = await review(id, 'carol')
      assert.equal(carolLate.status, 409, 'carol\'s right was used by her delegate on this action')
      assert.match(carolLate.body.detail, /one right, one review/)
      const byFrank = await review(id, 'frank')
      assert.equal(byFrank.body.status, 'approved')
      const events = (await gw.store.actionEvents(id)).map((stored) => JSON.parse(stored.event) as { type: string; actor: string; data: Record<string, unknown> })
      const bobReview = events.find((event) => event.type === 'review.approve' && event.actor === 'human:bob@example.com')!
      assert.deepEqual(bobReview.data['delegated_by'], [{ rule: 'shell-security', from: 'carol@example.com' }])
      const log = (await gw.call('GET', '/v1/audit?since=0&limit=1000', { as: 'dave' })).body
      assert.ok(JSON.stringify(log).includes('delegation.created'))
    })

    it('refuses a delegate who is a requester of the action, and lends nothing on the delegator\'s own request', async () => {
      assert.equal((await delegate('carol', { to: 'alice@example.com', until: until(8) })).status, 201)
      // alice owns analytics-agent: the lent right does not make her a reviewer of her own agent's request.
      const own = await submit('analyticsAgent')
      const refused = await review(own, 'alice')
      assert.equal(refused.status, 403)
      assert.match(refused.body.detail, /owner of the agent/)
      // carol owns deploy-bot: she cannot review it, so she has nothing to lend for it.
      const carols = await submit('deployBot')
      const viaCarol = await review(carols, 'bob')
      assert.equal(viaCarol.status, 403)
    })

    it('ends at its end or when revoked, and works from the CLI', async () => {
      const server = serve({ fetch: gw.app.fetch, hostname: '127.0.0.1', port: 0 })
      await new Promise((resolve) => server.once('listening', resolve))
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      try {
        const listed = await cliAgainst({ url, token: gw.tokens.bob }, ['delegate', '--list'])
        assert.equal(listed.code, 0, listed.stderr)
        assert.match(listed.stdout, /carol@example\.com -> bob@example\.com/)
        const made = await cliAgainst({ url, token: gw.tokens.frank }, ['delegate', '--to', 'erin@example.com', '--until', until(2), '--reason', 'dentist'])
        assert.equal(made.code, 0, made.stderr)
        const dlg = /^(dlg_[0-9a-f]+)/.exec(made.stdout)![1]!
        const id = await submit()
        assert.equal((await review(id, 'erin')).status, 200, 'erin reviews with frank\'s right')
        const revoked = await cliAgainst({ url, token: gw.tokens.erin }, ['delegate', '--revoke', dlg])
        assert.equal(revoked.code, 0, revoked.stderr)
        const next = await submit()
        assert.equal((await review(next, 'erin')).status, 403, 'revoked')
        gw.advance(9 * HOUR)
        const later = await submit()
        assert.equal((await review(later, 'bob')).status, 403, 'carol\'s delegation to bob ended')
        const agent = await cliAgainst({ url, token: gw.tokens.deployBot }, ['delegate', '--to', 'bob@example.com', '--for', '1h'])
        assert.notEqual(agent.code, 0)
      } finally {
        await new Promise((resolve) => server.close(resolve))
      }
    })
  })
}
