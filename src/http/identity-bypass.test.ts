import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { canonicalJson } from '../action/index.js'
import { tokenSha256 } from '../service/index.js'
import { PEOPLE, testGateway, type Person, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'

// Attack review (issue 14, bypasses 3 and 9): who may review an action, and what is decided.
// carol is an admin in group security and owns deploy-bot; alice owns analytics-agent.

/** Reviewed by group:security (carol, frank), reason required. */
const grant = { kind: 'sql', target: 'prod-db', payload: { sql: 'GRANT SELECT ON users TO reporting' } }
/** Reviewed by group:dba (alice, bob, erin). */
const scopedUpdate = { kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE users SET plan = 2 WHERE id = 42' } }

for (const store of testStores()) {
  describe(`identity bypasses over the HTTP API on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection, { targets: [{ name: 'ops', kind: 'custom', labels: {} }] })
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    const submit = async (action: unknown, who: { as?: Person; token?: string }) => {
      const response = await gw.call('POST', '/v1/actions', { ...who, body: action })
      assert.equal(response.status, 201, JSON.stringify(response.body))
      return response.body
    }
    const review = (id: string, who: { as?: Person; token?: string }, decision: 'approve' | 'deny' = 'approve') =>
      gw.call('POST', `/v1/actions/${id}/reviews`, { ...who, body: { decision, reason: 'looked at it' } })
    const mint = async (as: Person, body: Record<string, unknown>) => {
      const issued = await gw.call('POST', '/v1/tokens', { as, body: { name: 'minted', ...body } })
      assert.equal(issued.status, 201, JSON.stringify(issued.body))
      return issued.body as { token: string; token_sha256: string }
    }

    describe('bypass 3: the human who issued the submitting token is a requester', () => {
      it('refuses the admin who minted a token for an agent she does not own, then lets another approver decide', async () => {
        const { token } = await mint('carol', { agent: 'analytics-agent' })
        const action = await submit(grant, { token })
        assert.equal(action.status, 'pending')
        assert.equal(action.owner, PEOPLE.alice)
        const own = await review(action.id, { as: 'carol' })
        assert.equal(own.status, 403, JSON.stringify(own.body))
        assert.equal(own.headers.get('content-type'), 'application/problem+json')
        assert.match(own.body.detail, /you are the human who issued the token it was submitted with/)
        // Her deny does not count either: a requester does not decide her own request.
        assert.equal((await review(action.id, { as: 'carol' }, 'deny')).status, 403)
        const other = await review(action.id, { as: 'frank' })
        assert.equal(other.status, 200)
        assert.equal(other.body.status, 'approved')
        assert.deepEqual(other.body.decision.requirements[0].approved_by, [PEOPLE.frank])
      })

      it('keeps her a requester after she revokes the token, and of what its re-issued successor submits', async () => {
        const first = await mint('carol', { agent: 'analytics-agent' })
        const before = await submit(grant, { token: first.token })
        assert.equal((await gw.call('DELETE', `/v1/tokens/${first.token_sha256}`, { as: 'carol' })).status, 204)
        const second = await mint('carol', { agent: 'analytics-agent' })
        const after = await submit(grant, { token: second.token })
        for (const id of [before.id, after.id]) assert.equal((await review(id, { as: 'carol' })).status, 403)
      })

      it('follows a token minted with a personal token back to the human', async () => {
        const personal = await mint('carol', { user: PEOPLE.carol })
        const issued = await gw.call('POST', '/v1/tokens', { token: personal.token, body: { agent: 'analytics-agent', name: 'via personal token' } })
        assert.equal(issued.status, 201)
        const action = await submit(grant, { token: issued.body.token })
        assert.equal((await review(action.id, { token: personal.token })).status, 403)
        assert.equal((await review(action.id, { as: 'carol' })).status, 403)
        // An agent token cannot mint tokens at all.
        assert.equal((await gw.call('POST', '/v1/tokens', { token: issued.body.token, body: { agent: 'analytics-agent' } })).status, 403)
      })

      it('refuses the issuer on every channel: the service call behind Slack, Teams and the console', async () => {
        const { token } = await mint('carol', { agent: 'analytics-agent' })
        const action = await submit(grant, { token })
        const carol = { type: 'human' as const, email: PEOPLE.carol, groups: ['security'], admin: true, auditor: false }
        for (const channel of ['slack', 'teams', 'console', 'cli']) {
          await assert.rejects(gw.gateway.review(carol, action.id, { decision: 'approve', reason: 'ok' }, channel), /issued the token it was submitted with/)
        }
      })

      it('never lets an admin hold another human identity: personal tokens are minted by their holder only', async () => {
        assert.equal((await gw.call('POST', '/v1/tokens', { as: 'carol', body: { user: PEOPLE.frank } })).status, 403)
        assert.equal((await gw.call('POST', '/v1/tokens', { as: 'carol', body: { user: 'FRANK+x@example.com' } })).status, 403)
        // A personal token of frank's issued by carol (an older version, a hand-edited store) is dead.
        const token = `cs_user_${'f'.repeat(43)}`
        await gw.store.createToken(
          { sha256: tokenSha256(token), principalType: 'human', subject: PEOPLE.frank, name: '', createdAt: gw.gateway.now(), createdBy: `human:${PEOPLE.carol}`, expiresAt: null, revokedAt: null },
          { type: 'token.created', action_id: null, actor: `human:${PEOPLE.carol}`, channel: 'api', digest: null, policy_version: null, data: {} },
        )
        assert.equal((await gw.call('GET', '/v1/me', { token })).status, 401)
      })

      it('names both roles when the issuer also owns the agent', async () => {
        const { token } = await mint('carol', { agent: 'deploy-bot' })
        const action = await submit(grant, { token })
        const refused = await review(action.id, { as: 'carol' })
        assert.equal(refused.status, 403)
        assert.match(refused.body.detail, /you are the owner of the agent that submitted it and the human who issued the token it was submitted with/)
      })

      it('adds no requester for config tokens', async () => {
        const action = await submit(grant, { as: 'analyticsAgent' })
        assert.equal((await review(action.id, { as: 'carol' })).body.status, 'approved')
      })
    })

    describe('bypass 9: on_behalf_of names a human however her address is written', () => {
      for (const form of ['аlice@example.com', 'ａｌｉｃｅ@example.com', 'alice@example.com.', 'alice@exämple.com', 'alice\u200b@example.com', 'Alice <alice@example.com>']) {
        it(`refuses the look-alike form ${JSON.stringify(form)} at the edge`, async () => {
          const response = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { ...scopedUpdate, context: { on_behalf_of: form } } })
          assert.equal(response.status, 400, JSON.stringify(response.body))
          assert.equal(response.headers.get('content-type'), 'application/problem+json')
          assert.match(response.body.detail, /context\.on_behalf_of: must be the plain ASCII email address of a human/)
        })
      }

      for (const form of ['alice+x@example.com', 'ALICE@Example.COM', ' Alice+deploy@EXAMPLE.com ', 'alice@xn--exmple-cua.com']) {
        it(`makes alice a requester for ${JSON.stringify(form)}`, async () => {
          const action = await submit({ ...scopedUpdate, context: { on_behalf_of: form } }, { as: 'deployBot' })
          const refused = await review(action.id, { as: 'alice' })
          assert.equal(refused.status, 403, JSON.stringify(refused.body))
          assert.match(refused.body.detail, /you are the human it is on behalf of/)
          assert.equal((await review(action.id, { as: 'bob' })).body.status, 'approved')
        })
      }
    })

    describe('bypass 9: a "__proto__" key is refused, never dropped from what is decided', () => {
      const raw = (text: string, path = '/v1/actions') => gw.call('POST', path, { as: 'deployBot', rawBody: text, headers: { 'content-type': 'application/json' } })
      const bodies: [string, string][] = [
        ['payload', '{"kind":"custom","target":"ops","payload":{"__proto__":{"rm":"-rf /"},"op":"noop"}}'],
        ['payload.op', '{"kind":"custom","target":"ops","payload":{"op":{"__proto__":{"x":1}}}}'],
        ['context', '{"kind":"sql","target":"prod-db","payload":{"sql":"SELECT 1"},"context":{"__proto__":{"on_behalf_of":"x@example.com"}}}'],
        ['', '{"__proto__":{"kind":"sql"},"kind":"sql","target":"prod-db","payload":{"sql":"SELECT 1"}}'],
        ['payload', '{"kind":"sql","target":"prod-db","payload":{"sql":"SELECT 1","__proto__":{"sql":"DROP TABLE users"}}}'],
      ]
      for (const [where, text] of bodies) {
        it(`refuses ${text.slice(0, 70)}…`, async () => {
          for (const path of ['/v1/actions', '/v1/decide']) {
            const response = await raw(text, path)
            assert.equal(response.status, 400, JSON.stringify(response.body))
            assert.equal(response.headers.get('content-type'), 'application/problem+json')
            assert.equal(response.body.code, 'INVALID')
            assert.equal(response.body.errors?.[0]?.path, where === '' ? '__proto__' : `${where}.__proto__`)
            assert.match(response.body.detail, /"__proto__" key is not accepted/)
          }
        })
      }

      it('refuses it in a review body too', async () => {
        const action = await submit(scopedUpdate, { as: 'deployBot' })
        const response = await gw.call('POST', `/v1/actions/${action.id}/reviews`, { as: 'bob', rawBody: '{"decision":"approve","reason":"ok","__proto__":{}}', headers: { 'content-type': 'application/json' } })
        assert.equal(response.status, 400)
      })

      it('refuses it in an MCP tool call, where the SDK would drop it from the arguments', async () => {
        const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
        const call = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"run_sql","arguments":{"__proto__":{"sql":"DROP TABLE users"},"target":"staging-db","sql":"SELECT 1"}}}'
        const refused = await gw.call('POST', '/mcp', { as: 'deployBot', rawBody: call, headers })
        assert.equal(refused.status, 400)
        assert.equal(refused.body.id, 7)
        assert.match(refused.body.error.message, /params\.arguments\.__proto__: a "__proto__" key is not accepted/)
        // The same endpoint still answers an ordinary request, read once and handed on.
        const listed = await gw.call('POST', '/mcp', { as: 'deployBot', rawBody: '{"jsonrpc":"2.0","id":8,"method":"tools/list"}', headers })
        assert.equal(listed.status, 200, JSON.stringify(listed.body))
        assert.match(JSON.stringify(listed.body), /run_sql/)
      })

      it('keeps "constructor" and "prototype" keys, and digests exactly the payload that was decided', async () => {
        const text = '{"kind":"custom","target":"ops","payload":{"constructor":{"prototype":{"op":"drop"}},"op":"noop"}}'
        const response = await raw(text)
        assert.equal(response.status, 201, JSON.stringify(response.body))
        const payload = JSON.parse(text).payload
        assert.deepEqual(response.body.payload, payload)
        const digest = createHash('sha256').update(canonicalJson({ kind: 'custom', target: 'ops', payload }), 'utf8').digest('hex')
        assert.equal(response.body.digest, digest)
      })
    })
  })
}
