import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_REASON_LENGTH, applyReview, type ReviewInput } from './index.js'
import { NOW, countersignError, human, requirement, subjectOf } from './test-support.js'

const alice = human('alice@example.com', ['dba'])
const dave = human('dave@example.com', ['security'])
const RELAXED = [requirement('dba', ['group:dba'])]
const STRICT = [requirement('dba', ['group:dba'], 1, { reason_required: true })]
// Only the security requirement asks for reasons; the dba one does not.
const MIXED = [requirement('dba', ['group:dba'], 2), requirement('security', ['group:security'], 1, { reason_required: true })]

const emoji = '🔒' // one character, two UTF-16 code units

const CASES: readonly {
  readonly name: string
  readonly requirements: typeof RELAXED
  readonly by?: typeof alice
  readonly input: Partial<ReviewInput> & Record<string, unknown>
  readonly expect: 'pending' | 'approved' | 'denied' | RegExp
}[] = [
  { name: 'refuses a deny without a reason', requirements: RELAXED, input: { decision: 'deny', reason: '' }, expect: /a deny needs a reason/ },
  { name: 'refuses a deny whose reason is only whitespace', requirements: RELAXED, input: { decision: 'deny', reason: ' \n\t ' }, expect: /a deny needs a reason/ },
  { name: 'accepts a deny with a reason', requirements: RELAXED, input: { decision: 'deny', reason: 'no WHERE clause' }, expect: 'denied' },
  { name: 'accepts an approval without a reason when none is required', requirements: RELAXED, input: { decision: 'approve', reason: '' }, expect: 'approved' },
  { name: 'refuses an approval without a reason when the requirement asks for one', requirements: STRICT, input: { decision: 'approve', reason: '' }, expect: /required by rule dba/ },
  { name: 'refuses an approval with a blank reason when the requirement asks for one', requirements: STRICT, input: { decision: 'approve', reason: '   ' }, expect: /required by rule dba/ },
  { name: 'accepts an approval with a reason when the requirement asks for one', requirements: STRICT, input: { decision: 'approve', reason: 'backup taken' }, expect: 'approved' },
  {
    name: 'does not ask a reason for a requirement the reviewer is not eligible for',
    requirements: MIXED,
    input: { decision: 'approve', reason: '' },
    expect: 'pending',
  },
  { name: 'asks a reason when any requirement the reviewer is eligible for requires it', requirements: MIXED, by: dave, input: { decision: 'approve', reason: '' }, expect: /rule security/ },
  { name: 'accepts a reason of exactly the maximum length', requirements: RELAXED, input: { decision: 'approve', reason: 'x'.repeat(MAX_REASON_LENGTH) }, expect: 'approved' },
  { name: 'refuses a reason one character over the maximum', requirements: RELAXED, input: { decision: 'approve', reason: 'x'.repeat(MAX_REASON_LENGTH + 1) }, expect: /longer than 2000 characters/ },
  { name: 'refuses an over-long deny reason', requirements: RELAXED, input: { decision: 'deny', reason: 'x'.repeat(MAX_REASON_LENGTH + 1) }, expect: /longer than 2000/ },
  { name: 'refuses a huge reason', requirements: RELAXED, input: { decision: 'approve', reason: 'x'.repeat(1_000_000) }, expect: /longer than 2000/ },
  { name: 'counts characters, not UTF-16 units', requirements: RELAXED, input: { decision: 'approve', reason: emoji.repeat(MAX_REASON_LENGTH) }, expect: 'approved' },
  { name: 'refuses one emoji over the maximum', requirements: RELAXED, input: { decision: 'approve', reason: emoji.repeat(MAX_REASON_LENGTH + 1) }, expect: /longer than 2000/ },
  { name: 'measures the reason without surrounding whitespace', requirements: RELAXED, input: { decision: 'approve', reason: ` ${'x'.repeat(MAX_REASON_LENGTH)} ` }, expect: 'approved' },
  { name: 'refuses an upper-case decision', requirements: RELAXED, input: { decision: 'APPROVE' as never, reason: 'ok' }, expect: /decision must be approve or deny, got "APPROVE"/ },
  { name: 'refuses an unknown decision', requirements: RELAXED, input: { decision: 'abstain' as never, reason: 'ok' }, expect: /decision must be/ },
  { name: 'refuses a missing decision', requirements: RELAXED, input: { decision: undefined as never, reason: 'ok' }, expect: /decision must be/ },
  { name: 'refuses a decision inherited from the prototype', requirements: RELAXED, input: { decision: 'toString' as never, reason: 'ok' }, expect: /decision must be/ },
  { name: 'refuses a reason that is not a string', requirements: RELAXED, input: { decision: 'approve', reason: 42 as never }, expect: /reason must be a string/ },
  { name: 'refuses a review without a channel', requirements: RELAXED, input: { decision: 'approve', reason: 'ok', channel: ' ' }, expect: /channel/ },
]

describe('review input', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const input = { channel: 'api', ...c.input } as ReviewInput
      const apply = () => applyReview(subjectOf(c.requirements), c.by ?? alice, input, NOW)
      if (c.expect instanceof RegExp) assert.throws(apply, countersignError('INVALID', c.expect))
      else assert.equal(apply().status, c.expect)
    })
  }

  it('checks who reviews before what they say: an agent with a bad decision is FORBIDDEN', () => {
    const bot = { type: 'agent', id: 'bot', owner: 'carol@example.com', labels: {} } as const
    assert.throws(() => applyReview(subjectOf(RELAXED), bot, { decision: 'maybe' as never, reason: '', channel: 'api' }, NOW), countersignError('FORBIDDEN'))
  })

  it('checks the state before what reviewers say: a bad input on a decided action is ALREADY_DECIDED', () => {
    assert.throws(
      () => applyReview(subjectOf(RELAXED, { status: 'approved' }), alice, { decision: 'deny', reason: '', channel: 'api' }, NOW),
      countersignError('ALREADY_DECIDED'),
    )
  })
})
