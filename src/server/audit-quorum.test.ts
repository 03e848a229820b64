import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { cosignNote, formatWitnessKey } from '../audit/index.js'
import { configFromObject } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import { testStores } from '../store/connection/index.js'
import { testGateway, type TestGateway } from './test-gateway.js'

const WITNESSES = ['w1.security.example.com', 'w2.security.example.com']

for (const store of testStores()) {
  describe(`audit.witness_quorum on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    const keys = WITNESSES.map(() => generateKeyPairSync('ed25519'))

    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection, {
        now: new Date('2026-03-02T09:00:00.000Z'),
        audit: { origin: 'countersign.test/audit', checkpoint_interval: '1m', witness_quorum: 1, witnesses: WITNESSES.map((name, index) => formatWitnessKey(name, keys[index]!.publicKey)) },
      })
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    const warnings = async () => {
      const report = await gw.call('GET', '/v1/audit/verify', { as: 'alice' })
      assert.equal(report.status, 200, JSON.stringify(report.body))
      assert.equal(report.body.ok, true, JSON.stringify(report.body.problems))
      return (report.body.warnings as { seq: number; kind: string; message: string }[]).filter((warning) => warning.kind === 'witness_quorum')
    }
    const gauge = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec((await gw.call('GET', '/metrics')).body)?.[1])

    it('warns in verify and shows in /metrics when the tree head due has too few cosignatures, until a witness cosigns it', async () => {
      const submitted = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' } } })
      assert.equal(submitted.status, 201, JSON.stringify(submitted.body))
      assert.ok(await gw.auditLog.checkpoint())
      // Witnesses have the interval plus a margin (1 + 1 minutes) to cosign: nothing is due yet.
      gw.advance(2 * 60_000)
      assert.deepEqual(await warnings(), [])
      assert.equal(await gauge('countersign_audit_witness_quorum'), 1)
      assert.equal(await gauge('countersign_audit_quorum_cosignatures'), 0)

      gw.advance(1000)
      const [warning, ...more] = await warnings()
      assert.equal(more.length, 0)
      assert.match(warning!.message, /has 0 of the 1 witness cosignatures audit\.witness_quorum requires \(no witness of 2 cosigned it\)/)

      const newest = (await gw.call('GET', '/v1/audit/checkpoints?limit=1', { as: 'deployBot' })).body.checkpoints.at(-1) as { tree_size: number; note: string }
      const body = newest.note.slice(0, newest.note.indexOf('\n\n') + 1)
      const cosigned = await gw.call('POST', '/v1/audit/checkpoints/cosignatures', { as: 'deployBot', body: { tree_size: newest.tree_size, cosignature: cosignNote(body, WITNESSES[1]!, keys[1]!.privateKey, 1_772_442_000) } })
      assert.equal(cosigned.status, 200, JSON.stringify(cosigned.body))
      assert.deepEqual(await warnings(), [])
      assert.equal(await gauge('countersign_audit_quorum_cosignatures'), 1)
    })

  })
}

describe('audit.witness_quorum in the config', () => {
  const witness = formatWitnessKey(WITNESSES[0]!, generateKeyPairSync('ed25519').publicKey)
  const audit = (fields: Record<string, unknown>) => configFromObject({ policy: 'p', audit: fields }, { baseDir: '/tmp' }).audit

  it('is 0 unless set, and at most the number of witnesses listed', () => {
    assert.equal(audit({}).witness_quorum, 0)
    assert.equal(audit({ witnesses: [witness], witness_quorum: 1 }).witness_quorum, 1)
    assert.throws(() => audit({ witnesses: [witness], witness_quorum: 2 }), (error: CountersignError) => error.details.some((detail) => detail.path === 'audit.witness_quorum' && /cannot exceed/.test(detail.message)))
    assert.throws(() => audit({ witness_quorum: -1 }), CountersignError)
    assert.throws(() => audit({ witness_quorum: 1.5 }), CountersignError)
  })
})
