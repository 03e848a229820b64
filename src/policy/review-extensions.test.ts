import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CountersignError } from '../errors/index.js'
import { policyFrom } from './test-support.js'

const rule = (review: string) => `version: 1
rules:
  - id: prod-writes
    match: { kind: sql }
    effect: review
    review: { approvers: [group:dba], ${review} }
`

async function refusal(text: string): Promise<string> {
  try {
    await policyFrom(text)
  } catch (error) {
    assert.ok(error instanceof CountersignError)
    return error.details.map((detail) => `${detail.path}: ${detail.message}`).join('\n')
  }
  return assert.fail('the policy was accepted')
}

describe('review.grants and review.assurance in a policy', () => {
  it('compiles grants into milliseconds and uses, and assurance as given', async () => {
    const policy = await policyFrom(rule('grants: { max_ttl: 1h, max_uses: 20 }, assurance: passkey'))
    assert.deepEqual(policy.rules[0]!.review!.grants, { max_ttl_ms: 3_600_000, max_uses: 20 })
    assert.equal(policy.rules[0]!.review!.assurance, 'passkey')
  })

  it('leaves both out when not given: no grants, chat approvals allowed', async () => {
    const review = (await policyFrom(rule('min_approvals: 1'))).rules[0]!.review!
    assert.equal(review.grants, undefined)
    assert.equal(review.assurance, undefined)
  })

  const broken: readonly [string, RegExp][] = [
    ['grants: { max_ttl: 40d, max_uses: 5 }', /at most 30d/],
    ['grants: { max_ttl: 1h, max_uses: 0 }', /max_uses/],
    ['grants: { max_ttl: 1h }', /max_uses/],
    ['grants: { max_ttl: 1h, max_uses: 5, forever: true }', /forever/],
    ['assurance: yubikey', /assurance/],
  ]
  for (const [text, message] of broken) {
    it(`refuses ${text}`, async () => assert.match(await refusal(rule(text)), message))
  }
})
