import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { applyReview, canonicalEmail, conflictedHumans, eligibleRequirements, mailboxKey, requirementProgress, reviewEligibility, sameHuman, type Principal } from './index.js'
import { EXPIRES, NOW, agent, human, requirement, stored, subjectOf } from './test-support.js'

describe('canonicalEmail', () => {
  const table = [
    ['alice@example.com', 'alice@example.com'],
    ['Alice@Example.COM', 'alice@example.com'],
    ['  alice@example.com\t\n', 'alice@example.com'],
    ['\u00a0ALICE@example.com\u2003', 'alice@example.com'], // non-breaking and em spaces are whitespace too
    ['Ame\u0301lie@example.com', 'am\u00e9lie@example.com'], // decomposed é is the composed é
    ['', ''],
    ['   ', ''],
  ] as const
  for (const [input, expected] of table) {
    it(`canonicalizes ${JSON.stringify(input)} to ${JSON.stringify(expected)}`, () => assert.equal(canonicalEmail(input), expected))
  }

  it('gives no identity to a value that is not a string', () => {
    assert.equal(canonicalEmail(undefined as never), '')
    assert.equal(canonicalEmail(null as never), '')
  })
})

describe('mailboxKey and sameHuman', () => {
  const same = [
    ['alice+x@example.com', 'alice@example.com'],
    ['ALICE+deploy@Example.COM.', 'alice@example.com'],
    ['\u0430lice@example.com', 'alice@example.com'], // Cyrillic а
    ['\uff41\uff4c\uff49\uff43\uff45@example.com', 'alice@example.com'], // full-width
    ['alice@xn--exmple-cua.com', 'alice@example.com'], // IDN exämple.com, accent dropped
    ['al\u00efce@example.com', 'alice@example.com'],
    ['\u0251l\u0131ce@ex\u0430mple.com', 'alice@example.com'], // Latin alpha, dotless i, Cyrillic а
    ['al\u2c61ce@example.com', 'alice@example.com'], // a letter the table does not know: a wildcard
  ] as const
  for (const [a, b] of same) it(`treats ${JSON.stringify(a)} as ${b}`, () => assert.ok(sameHuman(a, b) && sameHuman(b, a)))

  const different = [
    ['bob@example.com', 'alice@example.com'],
    ['alice@example.org', 'alice@example.com'],
    ['a1ice@example.com', 'alice@example.com'], // ASCII look-alikes reach another mailbox
    ['alicex@example.com', 'alice@example.com'],
    ['\u5f20\u4e09@example.cn', '\u674e\u56db@example.cn'], // two people whose names are not in Latin letters
    ['', ''],
  ] as const
  for (const [a, b] of different) it(`tells ${JSON.stringify(a)} from ${JSON.stringify(b)}`, () => assert.ok(!sameHuman(a, b)))

  it('keys a mailbox without its tag and trailing dots', () => assert.equal(mailboxKey(' Alice+ops@EXAMPLE.com.. '), 'alice@example.com'))
})

describe('the token issuer as a requester', () => {
  const security = [requirement('security', ['group:security'])]
  it('refuses the human who issued the submitting token, admins included, naming the role', () => {
    const subject = subjectOf(security, { requesters: { owner: 'alice@example.com', tokenIssuer: 'carol@example.com' }, conflicted: [] })
    const verdict = reviewEligibility(subject, human('Carol@example.com', ['security'], { admin: true }), NOW)
    assert.ok(!verdict.eligible)
    assert.match(verdict.reason, /you are the human who issued the token it was submitted with/)
    assert.deepEqual(conflictedHumans(subject.requesters ?? {}), ['alice@example.com', 'carol@example.com'])
  })

  it('refuses a requester under a +tag or look-alike spelling, and counts such a review for nothing', () => {
    const subject = subjectOf(security, { requesters: { onBehalfOf: 'carol+ops@example.com' } })
    assert.ok(!reviewEligibility(subject, human('carol@example.com', ['security']), NOW).eligible)
    const progress = requirementProgress(security, [stored('c\u0430rol@example.com', 'approve', ['security'])], ['carol+x@example.com'])
    assert.deepEqual(progress[0]?.approved_by, [])
  })

  it('counts one mailbox once toward min_approvals', () => {
    const two = [requirement('security', ['group:security'], 2)]
    const progress = requirementProgress(two, [stored('frank@example.com', 'approve', ['security']), stored('frank+2@example.com', 'approve', ['security'])], [])
    assert.deepEqual(progress[0]?.approved_by, ['frank@example.com'])
    assert.equal(progress[0]?.met, false)
  })
})

describe('conflictedHumans', () => {
  it('lists the owner, the on-behalf-of human and the submitter canonically', () => {
    assert.deepEqual(conflictedHumans({ owner: 'Carol@Example.com', onBehalfOf: ' olivia@example.com ', submitter: 'SAM@example.com' }), [
      'carol@example.com',
      'olivia@example.com',
      'sam@example.com',
    ])
  })

  it('lists one person once whatever roles and spellings they have', () => {
    assert.deepEqual(conflictedHumans({ owner: 'carol@example.com', onBehalfOf: 'CAROL@example.com', submitter: ' Carol@example.com' }), ['carol@example.com'])
  })

  it('drops absent and blank requesters', () => {
    assert.deepEqual(conflictedHumans({ owner: 'carol@example.com', onBehalfOf: undefined, submitter: '  ' }), ['carol@example.com'])
    assert.deepEqual(conflictedHumans({}), [])
  })
})

describe('eligibleRequirements', () => {
  const requirements = [
    requirement('dba', ['group:dba']),
    requirement('security', ['group:Security']),
    requirement('named', ['user:dave@example.com']),
    requirement('anyone', []),
  ]
  const table: readonly (readonly [string, Principal, readonly string[]])[] = [
    ['a DBA: dba and anyone', human('alice@example.com', ['dba']), ['dba', 'anyone']],
    ['a human in both groups, upper-cased: both and anyone', human('frank@example.com', ['DBA', ' security ']), ['dba', 'security', 'anyone']],
    ['the named user, spelled differently: named and anyone', human(' Dave@Example.com', []), ['named', 'anyone']],
    ['a human in no group: anyone only', human('mallory@example.com'), ['anyone']],
    ['an admin gains nothing by being admin', human('root@example.com', [], { admin: true }), ['anyone']],
    ['a group named like a user approver is not that user', human('mallory@example.com', ['user:dave@example.com']), ['anyone']],
    ['a group sharing a prefix is another group', human('mallory@example.com', ['dba-readonly', 'db']), ['anyone']],
    ['an agent: none, not even anyone', agent('bot', 'dave@example.com'), []],
    ['a human without an email: none', human(' '), []],
  ]
  for (const [name, principal, expected] of table) {
    it(`finds ${name}`, () => assert.deepEqual(eligibleRequirements(principal as never, requirements), expected))
  }
})

describe('reviewEligibility', () => {
  const dba = [requirement('dba', ['group:dba'], 2), requirement('security', ['group:security'])]
  const requesters = { owner: 'carol@example.com', onBehalfOf: 'olivia@example.com', submitter: 'sam@example.com' }
  const base = subjectOf(dba, { requesters, reviews: [stored('bob@example.com', 'approve', ['dba'])] })
  const table: readonly {
    readonly name: string
    readonly principal: Principal
    readonly subject?: typeof base
    readonly now?: Date
    readonly expect: readonly string[] | readonly [string, RegExp]
  }[] = [
    { name: 'an eligible DBA, with the requirements they count for', principal: human('alice@example.com', ['dba']), expect: ['dba'] },
    { name: 'a human in both groups', principal: human('frank@example.com', ['dba', 'security']), expect: ['dba', 'security'] },
    { name: 'an agent', principal: agent('deploy-bot', 'carol@example.com'), expect: ['FORBIDDEN', /only humans review actions; agent deploy-bot/] },
    { name: 'the owner', principal: human('CAROL@example.com', ['dba']), expect: ['FORBIDDEN', /you are the owner of the agent/] },
    { name: 'the on-behalf-of human', principal: human('olivia@example.com', ['dba']), expect: ['FORBIDDEN', /you are the human it is on behalf of/] },
    { name: 'the submitter', principal: human('sam@example.com', ['dba']), expect: ['FORBIDDEN', /you are its submitter/] },
    {
      name: 'a non-approver, told who may approve',
      principal: human('mallory@example.com'),
      expect: ['FORBIDDEN', /not an approver for this action: it needs approval from group:dba \(rule dba\) and from group:security \(rule security\)/],
    },
    { name: 'a human who already reviewed, under another spelling', principal: human('Bob@Example.com', ['dba']), expect: ['CONFLICT', /already reviewed this action \(approve\)/] },
    {
      name: 'an eligible human on an approved action',
      principal: human('alice@example.com', ['dba']),
      subject: { ...base, status: 'approved' },
      expect: ['ALREADY_DECIDED', /action is approved; it can no longer be reviewed/],
    },
    { name: 'an eligible human at the expiry time', principal: human('alice@example.com', ['dba']), now: EXPIRES, expect: ['ALREADY_DECIDED', /action expired at 2026-01-05T12:30:00.000Z/] },
    {
      name: 'an eligible human when the expiry is not a valid date',
      principal: human('alice@example.com', ['dba']),
      subject: { ...base, expiresAt: new Date(Number.NaN) },
      expect: ['ALREADY_DECIDED', /expired at an unknown time/],
    },
  ]
  for (const c of table) {
    it(`answers for ${c.name}`, () => {
      const subject = c.subject ?? base
      const now = c.now ?? NOW
      const verdict = reviewEligibility(subject, c.principal, now)
      const [code, reason] = c.expect
      if (reason instanceof RegExp) {
        assert.equal(verdict.eligible, false)
        assert.ok(!verdict.eligible)
        assert.equal(verdict.code, code)
        assert.match(verdict.reason, reason)
        // applyReview refuses with exactly the same code and words.
        assert.throws(
          () => applyReview(subject, c.principal, { decision: 'approve', reason: 'ok', channel: 'api' }, now),
          (error: unknown) => error instanceof Error && 'code' in error && error.code === code && error.message === verdict.reason,
        )
      } else {
        assert.deepEqual(verdict, { eligible: true, requirements: c.expect })
      }
    })
  }
})
