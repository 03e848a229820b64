import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ErrorCode } from '../errors/index.js'
import type { ReviewRequirement } from '../policy/index.js'
import { applyReview, type Principal, type Requesters, type ReviewSubject } from './index.js'
import { EXPIRES, NOW, agent, countersignError, human, requirement, subjectOf } from './test-support.js'

// The cast. Carol owns the agent and is an admin in every group: she is the strongest attacker.
const carol = human('carol@example.com', ['dba', 'security'], { admin: true })
const olivia = human('olivia@example.com', ['dba']) // the human the agent acts on behalf of
const sam = human('sam@example.com', ['dba']) // a human who submitted the action
const alice = human('alice@example.com', ['dba'])
const bob = human('bob@example.com', ['dba'])
const dave = human('dave@example.com', ['security'])
const erin = human('erin@example.com', ['security'])
const frank = human('frank@example.com', ['dba', 'security']) // in both groups
const mallory = human('mallory@example.com') // in no group
const root = human('root@example.com', [], { admin: true }) // an admin who is no approver
const bot = agent('deploy-bot', 'carol@example.com')
const rogue = agent('rogue-bot', 'alice@example.com') // owned by an eligible DBA

/** The same person as `base`, as another channel might spell their email. */
function spelled(base: typeof alice, email: string): Principal {
  return { ...base, email }
}

const REQUESTERS: Requesters = { owner: 'carol@example.com', onBehalfOf: 'olivia@example.com', submitter: 'sam@example.com' }
const ONE_DBA = [requirement('dba', ['group:dba'])]
const TWO_DBAS = [requirement('dba', ['group:dba'], 2)]
const DBA_AND_SECURITY = [requirement('dba', ['group:dba'], 2), requirement('security', ['group:security'])]
const ANYONE = [requirement('default', [])]

type Expect = 'pending' | 'approved' | 'denied' | { readonly error: ErrorCode; readonly message?: RegExp }

interface Step {
  /** Why this step is in the scenario. */
  readonly note: string
  readonly by: Principal
  readonly decision?: 'approve' | 'deny'
  readonly reason?: string
  readonly at?: Date
  readonly expect: Expect
}

interface Scenario {
  readonly name: string
  readonly requirements: readonly ReviewRequirement[]
  readonly requesters?: Requesters
  /** Overrides the conflicted list derived from the requesters. */
  readonly conflicted?: readonly string[]
  readonly status?: ReviewSubject['status']
  readonly steps: readonly Step[]
  /** Canonical approvers counted per requirement at the end. */
  readonly approvedBy?: Readonly<Record<string, readonly string[]>>
}

const REFUSED_AGENT = { error: 'FORBIDDEN', message: /only humans review actions; agent/ } as const
const REFUSED_OWNER = { error: 'FORBIDDEN', message: /you are the owner of the agent/ } as const
const NOT_APPROVER = { error: 'FORBIDDEN', message: /not an approver/ } as const
const ALREADY_REVIEWED = { error: 'CONFLICT', message: /already reviewed/ } as const
const EXPIRED = { error: 'ALREADY_DECIDED', message: /expired/ } as const
const decided = (status: string) => ({ error: 'ALREADY_DECIDED', message: new RegExp(`action is ${status}`) }) as const

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'one approval from an eligible DBA approves',
    requirements: ONE_DBA,
    steps: [{ note: 'alice is in group dba, one approval is enough', by: alice, expect: 'approved' }],
    approvedBy: { dba: ['alice@example.com'] },
  },
  {
    name: 'two approvals need two distinct humans, however their email is spelled',
    requirements: TWO_DBAS,
    steps: [
      { note: 'first of two DBA approvals', by: alice, expect: 'pending' },
      { note: 'alice again, upper-cased through another channel: refused, not counted', by: spelled(alice, 'ALICE@EXAMPLE.COM'), expect: ALREADY_REVIEWED },
      { note: 'alice again with surrounding whitespace', by: spelled(alice, '  Alice@Example.com\t'), expect: ALREADY_REVIEWED },
      { note: 'alice cannot turn her approval into a deny either', by: alice, decision: 'deny', reason: 'changed my mind', expect: ALREADY_REVIEWED },
      { note: 'bob is the second distinct DBA', by: bob, expect: 'approved' },
    ],
    approvedBy: { dba: ['alice@example.com', 'bob@example.com'] },
  },
  {
    name: 'a DBA and a security requirement each need their own quorum',
    requirements: DBA_AND_SECURITY,
    steps: [
      { note: 'security reviewer first: security met, dba 0/2', by: dave, expect: 'pending' },
      { note: 'a second security reviewer counts nowhere new: dba still 0/2', by: erin, expect: 'pending' },
      { note: 'dba 1/2', by: alice, expect: 'pending' },
      { note: 'dba 2/2 and security 2/1: every requirement met', by: bob, expect: 'approved' },
    ],
    approvedBy: { dba: ['alice@example.com', 'bob@example.com'], security: ['dave@example.com', 'erin@example.com'] },
  },
  {
    name: 'a human in both groups counts once toward each requirement',
    requirements: DBA_AND_SECURITY,
    steps: [
      { note: 'frank counts for dba (1/2) and security (1/1)', by: frank, expect: 'pending' },
      { note: 'frank again, spelled differently: still one human', by: spelled(frank, 'Frank@Example.COM'), expect: ALREADY_REVIEWED },
      { note: 'alice makes dba 2/2', by: alice, expect: 'approved' },
    ],
    approvedBy: { dba: ['frank@example.com', 'alice@example.com'], security: ['frank@example.com'] },
  },
  {
    name: 'agents never review, on any requirement, whoever owns them',
    requirements: ANYONE,
    steps: [
      { note: 'the agent approving its own action', by: bot, expect: REFUSED_AGENT },
      { note: 'the agent denying it', by: bot, decision: 'deny', reason: 'no', expect: REFUSED_AGENT },
      { note: 'an agent owned by an eligible human is still an agent', by: rogue, expect: REFUSED_AGENT },
      { note: 'an agent whose id looks like an approver email', by: agent('alice@example.com', 'x@example.com'), expect: REFUSED_AGENT },
      { note: 'the request is still open for a human', by: alice, expect: 'approved' },
    ],
    approvedBy: { default: ['alice@example.com'] },
  },
  {
    name: 'the agent owner cannot review, though admin and in every group',
    requirements: DBA_AND_SECURITY,
    requesters: REQUESTERS,
    steps: [
      { note: 'carol as configured', by: carol, expect: REFUSED_OWNER },
      { note: 'carol as Slack might spell her', by: spelled(carol, ' Carol@Example.COM '), expect: REFUSED_OWNER },
      { note: 'her deny does not end the request either', by: carol, decision: 'deny', reason: 'mine', expect: REFUSED_OWNER },
      { note: 'eligible humans still decide', by: frank, expect: 'pending' },
      { note: 'dba 2/2, security 1/1', by: bob, expect: 'approved' },
    ],
    approvedBy: { dba: ['frank@example.com', 'bob@example.com'], security: ['frank@example.com'] },
  },
  {
    name: 'the on-behalf-of human cannot review, stored with other case and whitespace',
    requirements: ONE_DBA,
    requesters: { owner: 'carol@example.com', onBehalfOf: '  Olivia@EXAMPLE.com ' },
    steps: [
      { note: 'olivia is a DBA, but the agent acts for her', by: olivia, expect: { error: 'FORBIDDEN', message: /you are the human it is on behalf of/ } },
      { note: 'nor under another spelling', by: spelled(olivia, 'OLIVIA@example.com'), expect: { error: 'FORBIDDEN', message: /on behalf of/ } },
      { note: 'another DBA approves', by: alice, expect: 'approved' },
    ],
  },
  {
    name: 'the human submitter cannot review',
    requirements: ONE_DBA,
    requesters: { owner: 'carol@example.com', submitter: 'SAM@example.com' },
    steps: [
      { note: 'sam submitted it and is a DBA', by: sam, expect: { error: 'FORBIDDEN', message: /you are its submitter/ } },
      { note: 'sam denying is refused too and ends nothing', by: sam, decision: 'deny', reason: 'x', expect: { error: 'FORBIDDEN', message: /submitter/ } },
      { note: 'still pending for others', by: bob, expect: 'approved' },
    ],
  },
  {
    name: 'a human who is owner and on-behalf-of at once is told both roles',
    requirements: ONE_DBA,
    requesters: { owner: 'olivia@example.com', onBehalfOf: 'Olivia@example.com' },
    steps: [{ note: 'both roles named', by: olivia, expect: { error: 'FORBIDDEN', message: /owner of the agent that submitted it and the human it is on behalf of/ } }],
  },
  {
    name: 'a requester known only from the conflicted list is still refused',
    requirements: ONE_DBA,
    requesters: {},
    conflicted: [' Alice@Example.com'],
    steps: [
      { note: 'no role to name, but alice is out', by: alice, expect: { error: 'FORBIDDEN', message: /one of its requesters/ } },
      { note: 'bob approves', by: bob, expect: 'approved' },
    ],
  },
  {
    name: 'a requester known only from the requesters is still refused',
    requirements: ONE_DBA,
    requesters: { owner: 'alice@example.com' },
    conflicted: [],
    steps: [{ note: 'the storage layer forgot the conflicted list: the requesters still keep alice out', by: alice, expect: REFUSED_OWNER }],
  },
  {
    name: 'a deny from a human eligible for nothing is refused and ends nothing',
    requirements: ONE_DBA,
    steps: [
      { note: 'mallory is in no group', by: mallory, decision: 'deny', reason: 'I object', expect: NOT_APPROVER },
      { note: 'a security reviewer is no DBA', by: dave, decision: 'deny', reason: 'I object', expect: NOT_APPROVER },
      { note: 'an admin is no approver by being admin', by: root, decision: 'deny', reason: 'admin says no', expect: NOT_APPROVER },
      { note: 'nor can the admin approve', by: root, expect: NOT_APPROVER },
      { note: 'the request is still pending and a DBA approves it', by: alice, expect: 'approved' },
    ],
  },
  {
    name: 'a deny after partial approvals denies, and nothing follows',
    requirements: DBA_AND_SECURITY,
    steps: [
      { note: 'dba 1/2', by: alice, expect: 'pending' },
      { note: 'security 1/1', by: dave, expect: 'pending' },
      { note: 'one eligible deny ends it, whatever the approvals so far', by: bob, decision: 'deny', reason: 'no WHERE clause', expect: 'denied' },
      { note: 'a later approval is refused', by: frank, expect: decided('denied') },
      { note: 'so is a later deny', by: erin, decision: 'deny', reason: 'me too', expect: decided('denied') },
    ],
  },
  {
    name: 'a deny from an eligible reviewer of another requirement denies the whole request',
    requirements: DBA_AND_SECURITY,
    steps: [
      { note: 'dba 1/2', by: alice, expect: 'pending' },
      { note: 'dba 2/2: only security is missing', by: bob, expect: 'pending' },
      { note: 'the security reviewer denies', by: erin, decision: 'deny', reason: 'exposes PII', expect: 'denied' },
    ],
  },
  {
    name: 'nothing is accepted after approval',
    requirements: ONE_DBA,
    steps: [
      { note: 'approved by alice', by: alice, expect: 'approved' },
      { note: 'a second approval is refused', by: bob, expect: decided('approved') },
      { note: 'a late deny cannot re-open it', by: bob, decision: 'deny', reason: 'too late', expect: decided('approved') },
      { note: 'alice again: the status speaks first', by: alice, expect: decided('approved') },
    ],
  },
  ...(['approved', 'denied', 'expired', 'cancelled', 'allowed', 'executing', 'succeeded', 'failed'] as const).map(
    (status): Scenario => ({
      name: `no review is accepted on an action that is ${status}`,
      requirements: ONE_DBA,
      status,
      steps: [
        { note: 'an eligible approval', by: alice, expect: decided(status) },
        { note: 'an eligible deny', by: bob, decision: 'deny', reason: 'no', expect: decided(status) },
      ],
    }),
  ),
  {
    name: 'a review at exactly the expiry time is refused as expired',
    requirements: ONE_DBA,
    steps: [
      { note: 'now == expiresAt: too late', by: alice, at: EXPIRES, expect: EXPIRED },
      { note: 'a deny at expiry too', by: alice, decision: 'deny', reason: 'no', at: EXPIRES, expect: EXPIRED },
      { note: 'after expiry', by: bob, at: new Date(EXPIRES.getTime() + 1), expect: EXPIRED },
      { note: 'one millisecond before expiry is still in time', by: bob, at: new Date(EXPIRES.getTime() - 1), expect: 'approved' },
    ],
  },
  {
    name: 'an invalid clock counts as expired',
    requirements: ONE_DBA,
    steps: [{ note: 'NaN is not before anything', by: alice, at: new Date(Number.NaN), expect: EXPIRED }],
  },
  {
    name: 'empty approvers let any human review except the requesters',
    requirements: [requirement('default', [], 2)],
    requesters: REQUESTERS,
    steps: [
      { note: 'the owner is refused', by: carol, expect: REFUSED_OWNER },
      { note: 'the on-behalf-of human is refused', by: olivia, expect: { error: 'FORBIDDEN', message: /on behalf of/ } },
      { note: 'the submitter is refused', by: sam, expect: { error: 'FORBIDDEN', message: /submitter/ } },
      { note: 'the agent is refused', by: bot, expect: REFUSED_AGENT },
      { note: 'mallory, in no group, is any human: 1/2', by: mallory, expect: 'pending' },
      { note: 'an admin in no group counts too: 2/2', by: root, expect: 'approved' },
    ],
    approvedBy: { default: ['mallory@example.com', 'root@example.com'] },
  },
  {
    name: 'a user approver is matched by canonical email and still conflicts as a requester',
    requirements: [requirement('named', ['user:carol@example.com', 'user:dave@example.com'], 2)],
    requesters: { owner: 'carol@example.com' },
    steps: [
      { note: 'carol is named, but she owns the agent', by: spelled(carol, 'CAROL@example.com'), expect: REFUSED_OWNER },
      { note: 'dave as the IdP spells him', by: spelled(dave, 'Dave@Example.COM '), expect: 'pending' },
      { note: 'erin is not named', by: erin, expect: NOT_APPROVER },
    ],
    approvedBy: { named: ['dave@example.com'] },
  },
  {
    name: 'groups match whatever their case',
    requirements: [requirement('dba', ['group:DBA'])],
    steps: [{ note: 'the policy says DBA, the directory says dba', by: alice, expect: 'approved' }],
  },
  {
    name: 'malformed approver entries match nobody',
    requirements: [requirement('broken', ['dba', 'group:', 'user:', 'group: ', 'alice@example.com', 'role:dba'])],
    steps: [
      { note: 'a bare group name is not a group approver', by: alice, expect: NOT_APPROVER },
      { note: 'an empty group does not match a human without groups', by: mallory, expect: NOT_APPROVER },
      { note: 'a human with an empty group name does not match "group:"', by: human('x@example.com', ['', ' ']), expect: NOT_APPROVER },
    ],
  },
  {
    name: 'a human without an email cannot review',
    requirements: ANYONE,
    steps: [
      { note: 'empty email', by: human(''), expect: { error: 'FORBIDDEN', message: /no email/ } },
      { note: 'whitespace email', by: human('   '), expect: { error: 'FORBIDDEN', message: /no email/ } },
    ],
  },
  {
    name: 'an action with no requirements can never be approved by reviews',
    requirements: [],
    steps: [{ note: 'nobody is eligible for nothing', by: alice, expect: NOT_APPROVER }],
  },
]

describe('review scenarios', () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, () => {
      let subject = subjectOf(scenario.requirements, {
        ...(scenario.requesters && { requesters: scenario.requesters }),
        ...(scenario.conflicted && { conflicted: scenario.conflicted }),
        ...(scenario.status && { status: scenario.status }),
      })
      let progress: ReturnType<typeof applyReview>['progress'] = []
      for (const [index, step] of scenario.steps.entries()) {
        const label = `step ${index + 1}: ${step.note}`
        const decision = step.decision ?? 'approve'
        const input = { decision, reason: step.reason ?? (decision === 'deny' ? 'no' : 'looks right'), channel: 'slack' }
        const review = () => applyReview(subject, step.by, input, step.at ?? NOW)
        if (typeof step.expect === 'object') {
          assert.throws(review, countersignError(step.expect.error, step.expect.message), label)
          continue
        }
        const outcome = review()
        assert.equal(outcome.status, step.expect, label)
        progress = outcome.progress
        subject = { ...subject, status: outcome.status, reviews: [...subject.reviews, outcome.review] }
      }
      if (scenario.approvedBy) {
        assert.deepEqual(Object.fromEntries(progress.map((p) => [p.rule, p.approved_by])), scenario.approvedBy)
      }
    })
  }
})

describe('the recorded review', () => {
  it('records the canonical reviewer, the trimmed reason, the channel, the time and the requirements they were eligible for', () => {
    const at = new Date(NOW)
    const outcome = applyReview(subjectOf(DBA_AND_SECURITY), spelled(frank, ' FRANK@example.com'), { decision: 'approve', reason: '  checked the plan \n', channel: ' teams ' }, at)
    assert.deepEqual(outcome.review, {
      reviewer: 'frank@example.com',
      decision: 'approve',
      reason: 'checked the plan',
      channel: 'teams',
      at: NOW,
      requirements: ['dba', 'security'],
    })
    at.setTime(0)
    assert.deepEqual(outcome.review.at, NOW, 'the review keeps its own copy of the clock')
  })

  it('lists only the requirements the reviewer is eligible for', () => {
    const outcome = applyReview(subjectOf(DBA_AND_SECURITY), dave, { decision: 'approve', reason: '', channel: 'api' }, NOW)
    assert.deepEqual(outcome.review.requirements, ['security'])
  })

  it('reports the progress of every requirement', () => {
    const outcome = applyReview(subjectOf(DBA_AND_SECURITY), alice, { decision: 'approve', reason: '', channel: 'cli' }, NOW)
    assert.deepEqual(outcome.progress, [
      { rule: 'dba', approvers: ['group:dba'], min_approvals: 2, approved_by: ['alice@example.com'], met: false },
      { rule: 'security', approvers: ['group:security'], min_approvals: 1, approved_by: [], met: false },
    ])
  })

  it('does not change the subject it was given', () => {
    const subject = subjectOf(ONE_DBA)
    const before = structuredClone(subject)
    applyReview(subject, alice, { decision: 'approve', reason: 'ok', channel: 'api' }, NOW)
    assert.deepEqual(subject, before)
  })
})
