import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decideAction, policyFrom } from './test-support.js'

const custom = (payload: object) => ({ kind: 'custom', target: 'svc', payload })
const FLAGS_OFF = { a: false, d: false, r: false, sa: false, sd: false, sr: false }

/** Enforced rules, then shadow rules of every effect; the same policy without the shadow rules is what must decide. */
const ENFORCED = `
  - { id: allow-a, when: 'action.payload.a == true', effect: allow }
  - { id: deny-d, when: 'action.payload.d == true', effect: deny, message: 'd is forbidden' }
  - { id: review-r, when: 'action.payload.r == true', effect: review, review: { approvers: [group:dba] } }
`
const SHADOW = `
  - { id: shadow-allow, when: 'action.payload.sa == true', effect: allow, mode: shadow }
  - { id: shadow-deny, when: 'action.payload.sd == true', effect: deny, mode: shadow, message: 'would deny' }
  - { id: shadow-review, when: 'action.payload.sr == true', effect: review, mode: shadow, review: { approvers: [group:security], min_approvals: 2 } }
  - { id: shadow-broken, when: 'action.payload.missing == true', effect: deny, mode: shadow }
`
const policy = (rules: string, fallback = 'review') => `version: 1\ndefault: ${fallback}\nrules:\n${rules}`

describe('shadow rules (mode: shadow)', () => {
  const table = [
    { name: 'a shadow deny over an allow: allowed, and recorded as would-deny', payload: { a: true, sd: true }, effect: 'allow', shadowEffect: 'deny', shadowMatched: ['shadow-deny', 'shadow-broken'] },
    { name: 'a shadow allow over a review: still review', payload: { r: true, sa: true }, effect: 'review', shadowEffect: 'review', shadowMatched: ['shadow-allow', 'shadow-broken'] },
    { name: 'a shadow allow where the default reviews: still the default', payload: { sa: true }, effect: 'review', shadowEffect: 'deny', shadowMatched: ['shadow-allow', 'shadow-broken'] },
    { name: 'a shadow review over an allow: allowed, recorded as would-review', payload: { a: true, sr: true }, effect: 'allow', shadowEffect: 'deny', shadowMatched: ['shadow-review', 'shadow-broken'] },
    { name: 'a shadow allow over a deny: still denied', payload: { d: true, sa: true }, effect: 'deny', shadowEffect: 'deny', shadowMatched: ['shadow-allow', 'shadow-broken'] },
  ] as const

  for (const fallback of ['review', 'allow', 'deny'] as const) {
    for (const scenario of table) {
      it(`${scenario.name} (default ${fallback})`, async () => {
        const withShadow = await decideAction(await policyFrom(policy(ENFORCED + SHADOW, fallback)), custom({ ...FLAGS_OFF, ...scenario.payload }))
        const without = await decideAction(await policyFrom(policy(ENFORCED, fallback)), custom({ ...FLAGS_OFF, ...scenario.payload }))
        // Everything enforced is exactly what the policy without its shadow rules decides.
        const { shadow, policy_version: _a, ...enforced } = withShadow
        const { policy_version: _b, shadow: none, ...expected } = without
        assert.equal(none, undefined)
        assert.deepEqual(enforced, expected)
        assert.ok(shadow)
        assert.deepEqual(shadow.matched_rules, scenario.shadowMatched)
        assert.deepEqual(
          shadow.rules.map((rule) => rule.id),
          ['shadow-allow', 'shadow-deny', 'shadow-review', 'shadow-broken'],
        )
        assert.ok(!withShadow.matched_rules.some((rule) => rule.startsWith('shadow-')))
        assert.ok(!withShadow.requirements.some((requirement) => requirement.rule.startsWith('shadow-')))
        assert.ok(!withShadow.messages.includes('would deny'))
      })
    }
  }

  it('says what the shadow rules would have decided when they would have been enforced', async () => {
    const withoutBroken = policy(ENFORCED + SHADOW.split('\n').filter((line) => !line.includes('shadow-broken')).join('\n'))
    const compiled = await policyFrom(withoutBroken)
    assert.equal((await decideAction(compiled, custom({ ...FLAGS_OFF, a: true, sd: true }))).shadow?.effect, 'deny')
    assert.equal((await decideAction(compiled, custom({ ...FLAGS_OFF, a: true, sr: true }))).shadow?.effect, 'review')
    assert.equal((await decideAction(compiled, custom({ ...FLAGS_OFF, sa: true }))).shadow?.effect, 'allow')
    assert.equal((await decideAction(compiled, custom({ ...FLAGS_OFF, r: true, sa: true }))).shadow?.effect, 'review')
    const quiet = await decideAction(compiled, custom({ ...FLAGS_OFF, a: true }))
    assert.equal(quiet.shadow?.effect, 'allow')
    assert.deepEqual(quiet.shadow?.matched_rules, [])
  })

  it('leaves a decision without shadow rules as it was (no shadow field)', async () => {
    const decision = await decideAction(await policyFrom(policy(ENFORCED)), custom({ ...FLAGS_OFF, a: true }))
    assert.equal('shadow' in decision, false)
  })

  it('refuses a mode other than enforce or shadow, located', async () => {
    await assert.rejects(policyFrom(policy('  - { id: x, effect: deny, mode: dry-run }\n')), (error: Error & { details?: { message: string }[] }) => {
      assert.match(error.details?.[0]?.message ?? '', /enforce.*shadow/)
      return true
    })
  })
})
