import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ReviewRequirement } from '../policy/index.js'
import { dueRouting, nextRouting } from './routing.js'

const MIN = 60_000
const T0 = new Date('2026-12-07T02:00:00Z')
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN)

/** A DBA requirement reminded every 10 minutes, escalated to on-call at 15 and to security at 30; it expires at 60. */
const DBA: ReviewRequirement = {
  rule: 'dba',
  approvers: ['group:dba'],
  min_approvals: 1,
  timeout_ms: 60 * MIN,
  execute_within_ms: 15 * MIN,
  reason_required: false,
  channels: [],
  remind_after_ms: 10 * MIN,
  escalate: [
    { after_ms: 15 * MIN, to: ['group:oncall'] },
    { after_ms: 30 * MIN, to: ['group:security', 'group:dba'] },
  ],
}
const subject = (requirements: readonly ReviewRequirement[], met = [false]) => ({ createdAt: T0, expiresAt: at(60), requirements, met })

describe('reminders and escalation', () => {
  it('follows the timeline: remind at 10, escalate at 15, remind at 20, escalate and remind at 30, and nothing at expiry', () => {
    assert.deepEqual(nextRouting(subject([DBA])), at(10))
    // Step by step, as the sweep would run at each due time.
    let requirements: readonly ReviewRequirement[] = [DBA]
    const steps: string[] = []
    let now: Date | null = at(10)
    while (now) {
      const outcome = dueRouting(subject(requirements), now)
      for (const step of outcome.escalations) steps.push(`${(now.getTime() - T0.getTime()) / MIN}m escalate ${step.stage} +${step.added.join(',')}`)
      for (const step of outcome.reminders) steps.push(`${(now.getTime() - T0.getTime()) / MIN}m remind ${step.count} ${step.approvers.join(',')}`)
      requirements = outcome.requirements
      now = outcome.next
    }
    assert.deepEqual(steps, [
      '10m remind 1 group:dba',
      '15m escalate 1 +group:oncall',
      '20m remind 2 group:dba,group:oncall',
      // A stage's approvers already listed are not added twice.
      '30m escalate 2 +group:security',
      '30m remind 3 group:dba,group:oncall,group:security',
      '40m remind 4 group:dba,group:oncall,group:security',
      '50m remind 5 group:dba,group:oncall,group:security',
    ])
    assert.deepEqual(requirements[0]!.approvers, ['group:dba', 'group:oncall', 'group:security'])
    assert.equal(requirements[0]!.escalated, 2)
    assert.equal(requirements[0]!.reminders, 5)
  })

  it('catches up once after a gap: every stage due is applied, and one reminder stands for the missed ones', () => {
    const outcome = dueRouting(subject([DBA]), at(35))
    assert.deepEqual(outcome.escalations.map((step) => step.stage), [1, 2])
    assert.deepEqual(outcome.reminders.map((step) => step.count), [3])
    assert.deepEqual(outcome.next, at(40))
  })

  it('leaves a met requirement alone and does nothing at or after expiry', () => {
    const met = dueRouting(subject([DBA], [true]), at(35))
    assert.equal(met.reminders.length + met.escalations.length, 0)
    assert.equal(met.next, null)
    const expired = dueRouting(subject([DBA]), at(60))
    assert.equal(expired.reminders.length + expired.escalations.length, 0)
    assert.equal(expired.next, null)
  })

  it('has nothing to schedule for a requirement without remind_after or escalate', () => {
    const plain: ReviewRequirement = { rule: 'plain', approvers: [], min_approvals: 1, timeout_ms: 60 * MIN, execute_within_ms: MIN, reason_required: false, channels: [] }
    assert.equal(nextRouting(subject([plain])), null)
    assert.deepEqual(dueRouting(subject([plain]), at(59)).requirements, [plain])
  })
})
