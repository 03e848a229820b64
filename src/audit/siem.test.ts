import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { AUDIT_EVENT_TYPES, OCSF_MAPPING, toCloudEvent, toOcsf } from './index.js'
import { sampleChain } from './test-support.js'

// The JSON schemas of the OCSF 1.3.0 classes used (the attributes Countersign fills, with the
// class's required ones) and of the CloudEvents 1.0 JSON format, validated with zod's JSON
// Schema reader.
const schema = (file: string) => z.fromJSONSchema(JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')))
const OCSF_SCHEMAS: Record<number, ReturnType<typeof schema>> = {
  6003: schema('ocsf-api-activity.schema.json'),
  3001: schema('ocsf-account-change.schema.json'),
  6002: schema('ocsf-application-lifecycle.schema.json'),
}
const CLOUD_EVENT = schema('cloudevents-1.0.schema.json')

/** A day of events: every type, every kind of actor, sampled every 30 seconds over 24 hours. */
function aDay() {
  return sampleChain(2880).map((row) => {
    const event = JSON.parse(row.event) as Record<string, unknown>
    // Token events name their subject in data, as the gateway writes them.
    if (String(event['type']).startsWith('token.')) event['data'] = { token_sha256: 'ab'.repeat(32), type: 'agent', subject: 'deploy-bot', name: 'ci', expires_at: null }
    return { seq: row.seq, hash: row.hash, event }
  })
}

describe('audit events for a SIEM', () => {
  it('maps every event type to an OCSF class and activity', () => {
    for (const type of AUDIT_EVENT_TYPES) assert.ok(OCSF_MAPPING[type], type)
  })

  it('writes OCSF events that validate against their class schema, for a day of events of every type', () => {
    const seen = new Set<string>()
    for (const exported of aDay()) {
      const ocsf = toOcsf(exported, 'countersign.test/audit')
      const result = OCSF_SCHEMAS[ocsf['class_uid'] as number]!.safeParse(ocsf)
      assert.ok(result.success, `${String(exported.event['type'])}: ${JSON.stringify(result.error?.issues)}`)
      assert.equal(ocsf['type_uid'], (ocsf['class_uid'] as number) * 100 + (ocsf['activity_id'] as number))
      seen.add(String(exported.event['type']))
    }
    assert.deepEqual([...seen].sort(), [...AUDIT_EVENT_TYPES].sort())
  })

  it('names the actor, the action and the chain hash, so SIEM records can be checked against the log', () => {
    const [exported] = aDay().filter((entry) => entry.event['type'] === 'review.approve')
    const ocsf = toOcsf(exported!, 'countersign.test/audit') as Record<string, any>
    assert.equal(ocsf['class_uid'], 6003)
    assert.equal(ocsf['actor'].user.email_addr, 'alice@example.com')
    assert.equal(ocsf['resources'][0].uid, exported!.event['action_id'])
    assert.equal(ocsf['unmapped'].countersign.hash, exported!.hash)
    assert.equal(ocsf['metadata'].uid, `countersign.test/audit/${exported!.seq}`)
    assert.equal(ocsf['time'], Date.parse(String(exported!.event['at'])))
  })

  it('writes CloudEvents envelopes that validate, with the seq as the id to dedupe on', () => {
    for (const exported of aDay().slice(0, 100)) {
      const envelope = toCloudEvent(exported, 'countersign.test/audit')
      const result = CLOUD_EVENT.safeParse(envelope)
      assert.ok(result.success, JSON.stringify(result.error?.issues))
      assert.equal(envelope['id'], `countersign.test/audit/${exported.seq}`)
      assert.equal(envelope['type'], `com.countersign.audit.${String(exported.event['type'])}`)
    }
    // The schemas do refuse what is not one.
    assert.equal(CLOUD_EVENT.safeParse({ specversion: '0.3', id: 'x', source: 's', type: 't' }).success, false)
    assert.equal(OCSF_SCHEMAS[6003]!.safeParse({ class_uid: 6003 }).success, false)
    const valid = toOcsf(aDay()[0]!, 'countersign.test/audit')
    const { api: _api, ...withoutApi } = valid
    assert.equal(OCSF_SCHEMAS[6003]!.safeParse(withoutApi).success, false)
    assert.equal(OCSF_SCHEMAS[6003]!.safeParse({ ...valid, class_uid: 6001 }).success, false)
  })
})
