import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { applyReview, requirementProgress, type Review } from './index.js'
import { NOW, human, requirement, stored, subjectOf } from './test-support.js'

const TWO_DBAS = requirement('dba', ['group:dba'], 2)
const SECURITY = requirement('security', ['group:security'])
const CONFLICTED = ['carol@example.com']

/** The approvers counted per requirement, for compact assertions. */
function counted(reviews: readonly Review[], requirements = [TWO_DBAS, SECURITY], conflicted = CONFLICTED) {
  return requirementProgress(requirements, reviews, conflicted).map((p) => [p.rule, p.approved_by, p.met])
}

// The stored review list is data from storage; these tests feed it corrupted on purpose.
describe('requirementProgress never counts what the rules would have refused', () => {
  it('counts distinct approvers per requirement and says when each is met', () => {
    const reviews = [stored('alice@example.com', 'approve', ['dba']), stored('frank@example.com', 'approve', ['dba', 'security'])]
    assert.deepEqual(requirementProgress([TWO_DBAS, SECURITY], reviews, CONFLICTED), [
      { rule: 'dba', approvers: ['group:dba'], min_approvals: 2, approved_by: ['alice@example.com', 'frank@example.com'], met: true },
      { rule: 'security', approvers: ['group:security'], min_approvals: 1, approved_by: ['frank@example.com'], met: true },
    ])
  })

  it('counts one human once, however many times and however spelled', () => {
    const reviews = [stored('alice@example.com', 'approve', ['dba']), stored('ALICE@example.com', 'approve', ['dba']), stored(' Alice@Example.COM ', 'approve', ['dba'])]
    assert.deepEqual(counted(reviews), [
      ['dba', ['alice@example.com'], false],
      ['security', [], false],
    ])
  })

  it('ignores approvals by a conflicted human, compared canonically on both sides', () => {
    const reviews = [stored(' CAROL@example.com', 'approve', ['dba', 'security']), stored('bob@example.com', 'approve', ['dba'])]
    assert.deepEqual(counted(reviews, [TWO_DBAS, SECURITY], ['Carol@Example.com ']), [
      ['dba', ['bob@example.com'], false],
      ['security', [], false],
    ])
  })

  it('ignores an approval for a requirement the reviewer was not eligible for', () => {
    assert.deepEqual(counted([stored('dave@example.com', 'approve', ['security'])]), [
      ['dba', [], false],
      ['security', ['dave@example.com'], true],
    ])
  })

  it('ignores a review that claims a user-only requirement for someone else', () => {
    const named = requirement('named', ['user:dave@example.com'])
    assert.deepEqual(counted([stored('mallory@example.com', 'approve', ['named'])], [named]), [['named', [], false]])
    assert.deepEqual(counted([stored('DAVE@example.com', 'approve', ['named'])], [named]), [['named', ['dave@example.com'], true]])
  })

  it('ignores denies, blank reviewers and reviews without a requirement list', () => {
    const reviews = [
      stored('alice@example.com', 'deny', ['dba']),
      stored('  ', 'approve', ['dba']),
      { ...stored('bob@example.com', 'approve', []), requirements: undefined as never },
      { ...stored('erin@example.com', 'approve', []), requirements: 'dba' as never },
      { ...stored('frank@example.com', 'approve', ['dba']), decision: 'APPROVE' as never },
    ]
    assert.deepEqual(counted(reviews), [
      ['dba', [], false],
      ['security', [], false],
    ])
  })

  for (const min of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`never meets a requirement whose min_approvals is ${min}`, () => {
      const broken = requirement('broken', [], min)
      assert.deepEqual(counted([stored('alice@example.com', 'approve', ['broken'])], [broken]), [['broken', ['alice@example.com'], false]])
    })
  }

  it('rounds a fractional min_approvals up', () => {
    const broken = requirement('broken', [], 1.5)
    assert.deepEqual(counted([stored('alice@example.com', 'approve', ['broken'])], [broken]), [['broken', ['alice@example.com'], false]])
  })
})

describe('applying a review to a corrupted review list', () => {
  const alice = human('alice@example.com', ['dba'])

  it('does not approve on the strength of duplicated and conflicted stored approvals', () => {
    // Five stored approvals: the owner twice, bob three times under various spellings.
    const reviews = [
      stored('carol@example.com', 'approve', ['dba']),
      stored('CAROL@example.com', 'approve', ['dba']),
      stored('bob@example.com', 'approve', ['dba']),
      stored('Bob@example.com', 'approve', ['dba']),
      stored(' bob@example.com ', 'approve', ['dba']),
    ]
    const subject = subjectOf([requirement('dba', ['group:dba'], 3)], { requesters: { owner: 'carol@example.com' }, reviews })
    const outcome = applyReview(subject, alice, { decision: 'approve', reason: 'ok', channel: 'api' }, NOW)
    assert.equal(outcome.status, 'pending')
    assert.deepEqual(outcome.progress[0]?.approved_by, ['bob@example.com', 'alice@example.com'])
  })

  it('fails closed on a stored deny by an eligible reviewer: the next approval ends in denied', () => {
    const subject = subjectOf([requirement('dba', ['group:dba'])], { reviews: [stored('bob@example.com', 'deny', ['dba'])] })
    assert.equal(applyReview(subject, alice, { decision: 'approve', reason: 'ok', channel: 'api' }, NOW).status, 'denied')
  })

  it('ignores a stored deny by a conflicted human', () => {
    const subject = subjectOf([requirement('dba', ['group:dba'])], { requesters: { owner: 'carol@example.com' }, reviews: [stored('Carol@example.com', 'deny', ['dba'])] })
    assert.equal(applyReview(subject, alice, { decision: 'approve', reason: 'ok', channel: 'api' }, NOW).status, 'approved')
  })

  it('refuses a human whose earlier review is stored under another spelling', () => {
    const subject = subjectOf([requirement('dba', ['group:dba'], 2)], { reviews: [stored(' ALICE@example.com', 'approve', ['dba'])] })
    assert.throws(() => applyReview(subject, alice, { decision: 'approve', reason: 'ok', channel: 'api' }, NOW), /already reviewed/)
  })
})
