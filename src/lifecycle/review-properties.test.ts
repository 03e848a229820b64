import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { CountersignError, type ErrorCode } from '../errors/index.js'
import type { ReviewRequirement } from '../policy/index.js'
import { applyReview, conflictedHumans, requirementProgress, type Principal, type Requesters, type Review, type ReviewSubject } from './index.js'
import { EXPIRES, NOW, agent, human, requirement, stored } from './test-support.js'

// Everything below is judged by an oracle written here from the review invariants (docs/security.md), independent of the
// code under test: people are pool indexes, so "the same human" never depends on canonicalEmail.

const GROUPS = ['dba', 'security', 'ops'] as const
const PEOPLE = 6
const emailOf = (person: number): string => `h${person}@example.com`
const APPROVER_ENTRIES = ['group:dba', 'group:security', 'group:OPS', 'user:h0@example.com', 'user:H3@Example.com', 'user:nobody@example.com'] as const

/** Ways another channel may spell the same email. */
const SPELLINGS = [(e: string) => e, (e: string) => e.toUpperCase(), (e: string) => ` ${e}\t`, (e: string) => e[0]?.toUpperCase() + e.slice(1)] as const
const spelling = fc.nat({ max: SPELLINGS.length - 1 })
const spell = (person: number, variant: number): string => (SPELLINGS[variant] ?? SPELLINGS[0])(emailOf(person))

const requirementArb = (index: number) =>
  fc.record({
    approvers: fc.subarray([...APPROVER_ENTRIES], { maxLength: 3 }),
    min: fc.integer({ min: 1, max: 3 }),
    reasonRequired: fc.boolean(),
  }).map(({ approvers, min, reasonRequired }) => requirement(`r${index}`, approvers, min, { reason_required: reasonRequired }))

const requirementsArb = fc.integer({ min: 1, max: 3 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => requirementArb(index))))

// Groups as the directory might report them: any subset, any case.
const groupsArb = fc.array(fc.subarray([...GROUPS]).chain((groups) => fc.tuple(...groups.map((g) => fc.constantFrom(g, g.toUpperCase()))).map((gs) => gs as string[])), {
  minLength: PEOPLE,
  maxLength: PEOPLE,
})

const requesterArb = fc.option(fc.record({ person: fc.nat({ max: PEOPLE - 1 }), variant: spelling }), { nil: undefined })
const requestersArb = fc.record({ owner: requesterArb, onBehalfOf: requesterArb, submitter: requesterArb })

const stepArb = fc.record({
  // PEOPLE and PEOPLE + 1 are agents: one owned by a pool member, one by an outsider.
  who: fc.nat({ max: PEOPLE + 1 }),
  variant: spelling,
  decision: fc.constantFrom('approve', 'approve', 'approve', 'deny', 'abstain'),
  reason: fc.constantFrom('', '  ', 'ok', 'x'.repeat(2001)),
  at: fc.constantFrom(NOW, NOW, NOW, new Date(EXPIRES.getTime() - 1), EXPIRES, new Date(EXPIRES.getTime() + 1)),
})

// Which of the subject's two requester fields the storage layer filled in.
const wiringArb = fc.constantFrom('both', 'conflicted-only', 'requesters-only')

function oracleEligible(groups: readonly string[], person: number, req: ReviewRequirement): boolean {
  if (req.approvers.length === 0) return true
  const mine = groups.map((g) => g.toLowerCase())
  return req.approvers.some((entry) =>
    entry.startsWith('group:') ? mine.includes(entry.slice(6).toLowerCase()) : entry.slice(5).toLowerCase() === emailOf(person),
  )
}

describe('review rules under random review sequences', () => {
  it('accept exactly what the invariants allow, and approve only on a full distinct quorum', () => {
    fc.assert(
      fc.property(requirementsArb, groupsArb, requestersArb, wiringArb, fc.array(stepArb, { maxLength: 14 }), (requirements, groups, who, wiring, steps) => {
        const requesters: Requesters = Object.fromEntries(
          Object.entries(who).map(([role, r]) => [role, r === undefined ? undefined : spell(r.person, r.variant)]),
        )
        const conflicted = new Set(Object.values(who).flatMap((r) => (r === undefined ? [] : [r.person])))
        let subject: ReviewSubject = {
          status: 'pending',
          expiresAt: EXPIRES,
          requirements,
          reviews: [],
          conflicted: wiring === 'requesters-only' ? [] : conflictedHumans(requesters),
          ...(wiring !== 'conflicted-only' && { requesters }),
        }
        const accepted: { person: number; decision: string }[] = []

        for (const step of steps) {
          const isAgent = step.who >= PEOPLE
          const principal: Principal = isAgent
            ? agent(`bot-${step.who}`, step.who === PEOPLE ? emailOf(0) : 'outsider@example.com')
            : human(spell(step.who, step.variant), groups[step.who] ?? [], { admin: step.who === 0 })
          const eligibleFor = isAgent ? [] : requirements.filter((req) => oracleEligible(groups[step.who] ?? [], step.who, req))
          const reasonBlank = step.reason.trim() === ''

          // The oracle's verdict, in the order the rules check.
          let expected: ErrorCode | 'accept'
          if (isAgent || conflicted.has(step.who) || eligibleFor.length === 0) expected = 'FORBIDDEN'
          else if (subject.status !== 'pending' || step.at.getTime() >= EXPIRES.getTime()) expected = 'ALREADY_DECIDED'
          else if (accepted.some((a) => a.person === step.who)) expected = 'CONFLICT'
          else if (
            !['approve', 'deny'].includes(step.decision) ||
            step.reason.trim().length > 2000 ||
            (reasonBlank && step.decision === 'deny') ||
            (reasonBlank && eligibleFor.some((req) => req.reason_required))
          )
            expected = 'INVALID'
          else expected = 'accept'

          const before = subject.status
          let outcome: ReturnType<typeof applyReview>
          try {
            outcome = applyReview(subject, principal, { decision: step.decision as 'approve', reason: step.reason, channel: 'slack' }, step.at)
          } catch (error) {
            assert.ok(error instanceof CountersignError, String(error))
            assert.equal(error.code, expected, `refused with ${error.code} (${error.message}), oracle says ${expected}`)
            continue
          }
          assert.equal(expected, 'accept', `accepted a review the oracle refuses with ${expected}`)
          // (b) nothing is accepted once the request is decided.
          assert.equal(before, 'pending')
          // (c) never from an agent or a requester.
          assert.equal(principal.type, 'human')
          assert.ok(!conflicted.has(step.who))
          assert.equal(outcome.review.reviewer, emailOf(step.who))
          assert.deepEqual(outcome.review.requirements, eligibleFor.map((req) => req.rule))
          accepted.push({ person: step.who, decision: step.decision })

          // (d) an accepted deny ends in denied.
          if (step.decision === 'deny') assert.equal(outcome.status, 'denied')
          // (a) approved iff every requirement has min_approvals distinct eligible, non-conflicted approvers.
          const quorum = requirements.every((req) => {
            const approvers = new Set(
              accepted.filter((a) => a.decision === 'approve' && !conflicted.has(a.person) && oracleEligible(groups[a.person] ?? [], a.person, req)).map((a) => a.person),
            )
            return approvers.size >= req.min_approvals
          })
          const denied = accepted.some((a) => a.decision === 'deny')
          assert.equal(outcome.status, denied ? 'denied' : quorum ? 'approved' : 'pending')

          subject = { ...subject, status: outcome.status, reviews: [...subject.reviews, outcome.review] }
        }
      }),
      { numRuns: 1000 },
    )
  })
})

describe('requirementProgress under random corrupted review lists', () => {
  const storedArb = fc.record({
    person: fc.nat({ max: PEOPLE }),
    variant: spelling,
    decision: fc.constantFrom('approve' as const, 'deny' as const),
    claims: fc.subarray(['r0', 'r1', 'r2']),
  })

  it('counts only distinct, non-conflicted approvers who claimed the requirement and could hold it', () => {
    fc.assert(
      fc.property(requirementsArb, fc.array(storedArb, { maxLength: 20 }), fc.subarray([0, 1, 2, 3, 4, 5]), fc.array(spelling, { minLength: 6, maxLength: 6 }), (requirements, list, conflictedPeople, variants) => {
        const reviews: Review[] = list.map((r) => stored(spell(r.person, r.variant), r.decision, r.claims))
        const conflicted = conflictedPeople.map((person) => spell(person, variants[person] ?? 0))
        const progress = requirementProgress(requirements, reviews, conflicted)
        assert.deepEqual(progress.map((p) => p.rule), requirements.map((req) => req.rule))
        for (const [index, p] of progress.entries()) {
          const req = requirements[index]
          assert.ok(req)
          assert.equal(new Set(p.approved_by).size, p.approved_by.length, 'each human counts once')
          for (const email of p.approved_by) {
            const person = Number(/^h(\d)@example\.com$/.exec(email)?.[1])
            assert.ok(!conflictedPeople.includes(person), `${email} is conflicted`)
            assert.ok(list.some((r) => r.person === person && r.decision === 'approve' && r.claims.includes(req.rule)), `${email} never approved ${req.rule}`)
            const userOnly = req.approvers.length > 0 && req.approvers.every((a) => a.startsWith('user:'))
            if (userOnly) assert.ok(req.approvers.some((a) => a.slice(5).toLowerCase() === email), `${email} is not listed for ${req.rule}`)
          }
          assert.equal(p.met, p.approved_by.length >= req.min_approvals)
        }
      }),
      { numRuns: 500 },
    )
  })
})
