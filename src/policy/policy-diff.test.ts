import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decide, reviewPolicyChanges } from './decide.js'
import { diffPolicies } from './policy-diff.js'
import { policyFrom } from './test-support.js'

const BEFORE = `version: 1
default: review
rules:
  - { id: reads, match: { kind: sql }, when: sql.read_only, effect: allow }
  - { id: drops, when: 'sql.statements.exists(s, s.type == "drop")', effect: deny }
  - { id: grants, match: { kind: sql }, when: sql.dcl, effect: review, review: { approvers: [group:security] } }
`

describe('diffPolicies', () => {
  it('compares rule by rule, by id: added, removed, and which parts of a rule changed', async () => {
    const after = BEFORE.replace('  - { id: drops, when: \'sql.statements.exists(s, s.type == "drop")\', effect: deny }\n', '')
      .replace('approvers: [group:security]', 'approvers: [group:security], min_approvals: 2')
      .replace('when: sql.read_only, effect: allow', 'when: sql.read_only, effect: allow, mode: shadow')
      .replace('default: review', 'default: deny')
      .concat('  - { id: truncates, when: \'sql.statements.exists(s, s.type == "truncate")\', effect: deny }\n')
    const diff = diffPolicies(await policyFrom(BEFORE), await policyFrom(after))
    assert.deepEqual(diff, {
      added: ['truncates'],
      removed: ['drops'],
      changed: [
        { id: 'reads', fields: ['mode'] },
        { id: 'grants', fields: ['review'] },
      ],
      default: { from: 'review', to: 'deny' },
      settings: [],
    })
    assert.deepEqual(diffPolicies(await policyFrom(BEFORE), await policyFrom(BEFORE)), { added: [], removed: [], changed: [], default: null, settings: [] })
  })
})

describe('reviewPolicyChanges', () => {
  it('turns an allowed policy change into a review by the default requirement, and leaves everything else as decided', async () => {
    const lax = await policyFrom('version: 1\ndefault: allow\ndefault_review: { approvers: [group:admins], min_approvals: 2 }\n')
    const action = { kind: 'policy' as const, target: 'policy', payload: { text: 'x', base: 'a'.repeat(64) }, context: {} }
    const decided = decide(lax, { action, now: new Date() })
    assert.equal(decided.effect, 'allow')
    const guarded = reviewPolicyChanges(lax, 'policy', decided)
    assert.equal(guarded.effect, 'review')
    assert.deepEqual(guarded.requirements.map((requirement) => [requirement.rule, requirement.approvers, requirement.min_approvals]), [['default', ['group:admins'], 2]])
    assert.equal(reviewPolicyChanges(lax, 'sql', decided), decided)
  })
})
