import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { SignJWT } from 'jose'
import { loadSigningKey } from '../audit/index.js'
import { resolveSecret } from '../config/index.js'
import { ReceiptError, verifyReceipt, type ActionInput, type Jwks } from './index.js'
import { rfcInclusion } from '../server/test-rfc9162-verifier.js'
import { servedGateway, type ServedGateway } from './test-served-gateway.js'

const write: ActionInput = { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM sessions WHERE user_id = 7' } }
const claimsOf = (receipt: string) => JSON.parse(Buffer.from(receipt.split('.')[1]!, 'base64url').toString()) as Record<string, any>
const badProof = (error: unknown) => error instanceof ReceiptError && error.code === 'BAD_AUDIT_PROOF'


describe('receipts that carry their approval\'s inclusion proof', () => {
  let served: ServedGateway
  let jwks: Jwks
  let receipt: string
  before(async () => {
    served = await servedGateway()
    const agent = served.client('deployBot')
    const pending = await agent.submit(write)
    assert.equal(pending.status, 'pending')
    await served.client('alice').review(pending.id, 'approve', 'ok')
    receipt = (await agent.receipt(pending.id)).receipt
    jwks = await agent.jwks()
  })
  after(() => served.close())

  it('carries the approval events, each in the signed tree head it names, and the SDK checks them offline', async () => {
    const claims = claimsOf(receipt)
    const { checkpoint, events } = claims['audit']
    assert.deepEqual(events.map((event: { event: string }) => JSON.parse(event.event).type), ['review.approve', 'action.approved'])
    const [, size, root] = (checkpoint as string).split('\n')
    for (const event of events as { seq: number; event: string; proof: string[] }[]) {
      const leaf = createHash('sha256').update(Buffer.of(0)).update(event.event).digest()
      assert.ok(rfcInclusion(BigInt(event.seq - 1), BigInt(size!), leaf, event.proof.map((hash) => Buffer.from(hash, 'base64')), Buffer.from(root!, 'base64')))
    }
    // The tree head is the one the gateway serves to witnesses.
    const served_ = await served.gw.call('GET', '/v1/audit/checkpoints', { as: 'deployBot' })
    assert.ok(served_.body.checkpoints.some((entry: { note: string }) => entry.note.startsWith(checkpoint.slice(0, checkpoint.indexOf('\n\n')))))
    // The client asks the gateway for the same proof of the first event, against the same tree head.
    const first = (events as { seq: number; event: string; proof: string[] }[])[0]!
    const { checkpoints } = await served.client('deployBot').auditCheckpoints({ limit: 5 })
    assert.ok(checkpoints.some((entry) => entry.tree_size === Number(size)))
    const asked = await served.client('deployBot').auditInclusionProof(first.seq, Number(size))
    assert.deepEqual(asked.proof, first.proof)
    const verified = await verifyReceipt(receipt, { jwks, target: 'prod-db', action: write, requireAuditProof: true })
    assert.deepEqual(verified.approvers, ['alice@example.com'])
  })

  it('refuses a receipt whose proof, tree head or events were changed, even when re-signed with the gateway key', async () => {
    const key = loadSigningKey(resolveSecret(served.gw.config.audit.signing_key!))
    const resign = (change: (claims: Record<string, any>) => void) => {
      const claims = claimsOf(receipt)
      change(claims)
      return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: key.keyId, typ: 'countersign-receipt+jwt' }).sign(key.privateKey)
    }
    const cases: [string, (claims: Record<string, any>) => void][] = [
      ['a proof hash flipped', (claims) => (claims['audit'].events[0].proof[0] = Buffer.alloc(32, 7).toString('base64'))],
      ['another approver named', (claims) => (claims['audit'].events[0].event = claims['audit'].events[0].event.replace('human:alice@example.com', 'human:erin@example.com'))],
      ['an approver without an approval event', (claims) => (claims['approvers'] = ['alice@example.com', 'bob@example.com'])],
      ['the tree head altered', (claims) => (claims['audit'].checkpoint = claims['audit'].checkpoint.replace(/\n(\d+)\n/, (_: string, n: string) => `\n${Number(n) + 1}\n`))],
      ['the decision event left out', (claims) => claims['audit'].events.pop()],
    ]
    for (const [name, change] of cases) {
      await assert.rejects(verifyReceipt(await resign(change), { jwks, target: 'prod-db', action: write }), badProof, name)
    }
    const without = await resign((claims) => delete claims['audit'])
    await verifyReceipt(without, { jwks, target: 'prod-db', action: write })
    await assert.rejects(verifyReceipt(without, { jwks, target: 'prod-db', action: write, requireAuditProof: true }), badProof)
  })
})
