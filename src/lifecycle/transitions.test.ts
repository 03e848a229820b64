import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { CountersignError } from '../errors/index.js'
import { ACTION_STATUSES, INITIAL_STATUSES, TERMINAL_STATUSES, assertTransition, canTransition, isTerminal, type ActionStatus } from './index.js'

// The lifecycle of docs/concepts.md, written out independently of transitions.ts: every pair of
// statuses not listed here must be refused.
const ALLOWED: ReadonlySet<string> = new Set([
  'pending>approved',
  'pending>denied',
  'pending>expired',
  'pending>cancelled',
  'approved>executing',
  'approved>succeeded',
  'approved>failed',
  'approved>expired',
  'approved>cancelled',
  'allowed>executing',
  'allowed>expired',
  'allowed>cancelled',
  'allowed>succeeded',
  'allowed>failed',
  'executing>succeeded',
  'executing>failed',
])

function isCountersignError(code: string, message?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof CountersignError, `expected a CountersignError, got ${String(error)}`)
    assert.equal(error.code, code)
    if (message) assert.match(error.message, message)
    return true
  }
}

describe('the lifecycle state machine', () => {
  it('starts an action as allowed, denied or pending, as the decision says', () => {
    assert.deepEqual([...INITIAL_STATUSES], ['allowed', 'denied', 'pending'])
  })

  it('knows exactly denied, expired, cancelled, succeeded and failed as terminal', () => {
    assert.deepEqual([...TERMINAL_STATUSES].sort(), ['cancelled', 'denied', 'expired', 'failed', 'succeeded'])
    for (const status of ACTION_STATUSES) {
      assert.equal(isTerminal(status), (TERMINAL_STATUSES as readonly string[]).includes(status), status)
    }
  })

  // All 81 pairs: a transition table is security-critical, so every cell is checked.
  for (const from of ACTION_STATUSES) {
    for (const to of ACTION_STATUSES) {
      const allowed = ALLOWED.has(`${from}>${to}`)
      it(`${allowed ? 'allows' : 'refuses'} ${from} → ${to}`, () => {
        assert.equal(canTransition(from, to), allowed)
        if (allowed) assert.doesNotThrow(() => assertTransition(from, to))
        else assert.throws(() => assertTransition(from, to), isCountersignError('ALREADY_DECIDED', new RegExp(`^action is ${from}; it cannot become ${to}$`)))
      })
    }
  }

  it('says which status the action is in and which it cannot become', () => {
    assert.throws(() => assertTransition('approved', 'pending'), isCountersignError('ALREADY_DECIDED', /^action is approved; it cannot become pending$/))
  })

  it('never lets a terminal action move anywhere', () => {
    for (const from of TERMINAL_STATUSES) {
      for (const to of ACTION_STATUSES) assert.equal(canTransition(from, to), false, `${from} → ${to}`)
    }
  })

  it('never re-opens a request: nothing leads back to pending or allowed', () => {
    for (const from of ACTION_STATUSES) {
      assert.equal(canTransition(from, 'pending'), false, from)
      assert.equal(canTransition(from, 'allowed'), false, from)
    }
  })

  it('never executes an action that was not allowed or approved', () => {
    const into = ACTION_STATUSES.filter((from) => canTransition(from, 'executing'))
    assert.deepEqual(into.sort(), ['allowed', 'approved'])
  })

  it('refuses staying in the same status as a transition', () => {
    for (const status of ACTION_STATUSES) assert.equal(canTransition(status, status), false, status)
  })

  // Untyped data from storage: names of Object.prototype members must not look like statuses.
  for (const bogus of ['constructor', '__proto__', 'toString', 'hasOwnProperty', '', 'PENDING', 'Approved', ' pending']) {
    it(`refuses the unknown status ${JSON.stringify(bogus)} on either side as an internal error`, () => {
      const unknown = bogus as ActionStatus
      assert.equal(canTransition(unknown, 'approved'), false)
      assert.equal(canTransition('pending', unknown), false)
      assert.throws(() => assertTransition(unknown, 'approved'), isCountersignError('INTERNAL', /unknown action status/))
      assert.throws(() => assertTransition('pending', unknown), isCountersignError('INTERNAL', /unknown action status/))
    })
  }

  it('only moves forward: no sequence of transitions ever revisits a status', () => {
    fc.assert(
      fc.property(fc.constantFrom(...INITIAL_STATUSES), fc.array(fc.constantFrom(...ACTION_STATUSES), { maxLength: 20 }), (start, attempts) => {
        const seen = new Set<ActionStatus>([start])
        let status: ActionStatus = start
        for (const next of attempts) {
          if (!canTransition(status, next)) {
            assert.throws(() => assertTransition(status, next), CountersignError)
            continue
          }
          assert.equal(seen.has(next), false, `${status} → ${next} revisits ${next}`)
          assert.equal(isTerminal(status), false, `${status} is terminal yet moved to ${next}`)
          seen.add(next)
          status = next
        }
      }),
    )
  })

  it('ends every maximal path in a terminal status', () => {
    const walk = (status: ActionStatus, path: readonly ActionStatus[]): void => {
      const next = ACTION_STATUSES.filter((to) => canTransition(status, to))
      if (next.length === 0) assert.ok(isTerminal(status), `path ${path.join(' → ')} is stuck in ${status}`)
      for (const to of next) walk(to, [...path, to])
    }
    for (const start of INITIAL_STATUSES) walk(start, [start])
  })
})
