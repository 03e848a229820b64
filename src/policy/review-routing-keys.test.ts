import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { loadAnalyzers } from '../analyzers/index.js'
import { compilePolicy } from './load-policy.js'

/** The review keys of issue 22: remind_after, escalate, break_glass, and on-call approvers. */
describe('review routing keys in a policy', () => {
  let factKinds: Awaited<ReturnType<typeof loadAnalyzers>>['factKinds'] = []
  before(async () => {
    factKinds = (await loadAnalyzers()).factKinds
  })
  const policy = (review: string) => `
version: 1
rules:
  - id: r
    effect: review
    review: ${review}
`
  const problems = (review: string): string[] => {
    try {
      compilePolicy(policy(review), { factKinds, file: 'policy.yaml' })
      return []
    } catch (error) {
      return ((error as { details?: { message: string }[] }).details ?? []).map((detail) => detail.message)
    }
  }

  it('compiles them into the requirement, in milliseconds', () => {
    const compiled = compilePolicy(
      policy('{ approvers: [group:sre, oncall:pagerduty:P1ABCDE, oncall:opsgenie:platform_schedule], timeout: 1h, remind_after: 10m, escalate: [{ after: 15m, to: [group:leads] }], break_glass: { notify: ["slack:#incidents"] } }'),
      { factKinds },
    )
    const requirement = compiled.rules[0]!.review!
    assert.deepEqual(requirement.approvers, ['group:sre', 'oncall:pagerduty:P1ABCDE', 'oncall:opsgenie:platform_schedule'])
    assert.equal(requirement.remind_after_ms, 600_000)
    assert.deepEqual(requirement.escalate, [{ after_ms: 900_000, to: ['group:leads'] }])
    assert.deepEqual(requirement.break_glass, { requires: 'reason', notify: ['slack:#incidents'], review_within_ms: 86_400_000 })
  })

  it('leaves them out of a requirement that does not use them', () => {
    const requirement = compilePolicy(policy('{ approvers: [group:sre] }'), { factKinds }).rules[0]!.review!
    assert.equal('remind_after_ms' in requirement || 'escalate' in requirement || 'break_glass' in requirement, false)
  })

  it('refuses reminders and stages that could never happen, stages out of order, and unknown values', () => {
    assert.match(problems('{ timeout: 30m, remind_after: 30m }').join(), /remind_after must be shorter than the timeout/)
    assert.match(problems('{ timeout: 30m, escalate: [{ after: 40m, to: [group:a] }] }').join(), /before the timeout/)
    assert.match(problems('{ timeout: 1h, escalate: [{ after: 20m, to: [group:a] }, { after: 10m, to: [group:b] }] }').join(), /later one after another/)
    assert.match(problems('{ escalate: [{ after: 10m, to: [] }] }').join(), /at least one approver/)
    assert.match(problems('{ break_glass: { requires: approval } }').join(), /requires: reason/)
    assert.match(problems('{ approvers: [oncall:victorops:x] }').join(), /oncall:pagerduty:SCHEDULE/)
  })
})
