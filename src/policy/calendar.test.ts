import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { loadAnalyzers } from '../analyzers/index.js'
import { calendarChanges, calendarStates, inCalendar, type CalendarRange } from './calendar.js'
import { compilePolicy } from './load-policy.js'
import { decide } from './decide.js'
import { CalendarsSchema } from '../config/calendars-schema.js'

const freeze: CalendarRange = { start: new Date('2026-12-20T00:00:00Z'), end: new Date('2027-01-04T00:00:00Z') }
// Weeknights 22:00–06:00 in Paris: a range that crosses midnight.
const nights: CalendarRange = { days: [1, 2, 3, 4, 5], from: 22 * 60, to: 6 * 60, timezone: 'Europe/Paris' }

describe('calendars', () => {
  it('holds an absolute range from its start (inclusive) to its end (exclusive)', () => {
    assert.equal(inCalendar([freeze], new Date('2026-12-19T23:59:59Z')), false)
    assert.equal(inCalendar([freeze], new Date('2026-12-20T00:00:00Z')), true)
    assert.equal(inCalendar([freeze], new Date('2027-01-03T23:59:59Z')), true)
    assert.equal(inCalendar([freeze], new Date('2027-01-04T00:00:00Z')), false)
  })

  it('holds weekly hours in their own zone, across midnight into the next day', () => {
    // Monday 2026-12-07 22:30 Paris (21:30Z) is in; Tuesday 05:59 Paris is in; Tuesday 06:00 is out.
    assert.equal(inCalendar([nights], new Date('2026-12-07T21:30:00Z')), true)
    assert.equal(inCalendar([nights], new Date('2026-12-08T04:59:00Z')), true)
    assert.equal(inCalendar([nights], new Date('2026-12-08T05:00:00Z')), false)
    // Friday night runs into Saturday morning; Saturday night is not listed.
    assert.equal(inCalendar([nights], new Date('2026-12-12T04:00:00Z')), true)
    assert.equal(inCalendar([nights], new Date('2026-12-12T22:00:00Z')), false)
    // Sunday night is not listed, so Monday early morning is out.
    assert.equal(inCalendar([nights], new Date('2026-12-07T03:00:00Z')), false)
  })

  it('never holds for an invalid clock', () => {
    assert.equal(inCalendar([freeze, nights], new Date(Number.NaN)), false)
  })

  it('gives each named calendar its state, and reports which changed since a decision', () => {
    const calendars = { freeze: [freeze], nights: [nights] }
    const at = new Date('2026-12-21T12:00:00Z')
    assert.deepEqual(calendarStates(calendars, at), { freeze: true, nights: false })
    assert.deepEqual(calendarStates(calendars, at, ['freeze', 'missing']), { freeze: true })
    assert.deepEqual(calendarChanges(calendars, { freeze: false, nights: false }, at), [{ name: 'freeze', was: false, now: true }])
    assert.deepEqual(calendarChanges(calendars, { freeze: true }, at), [])
    assert.deepEqual(calendarChanges({}, { freeze: true }, at), [{ name: 'freeze', was: true, now: null }], 'a calendar removed from config cannot be checked: changed')
  })

  it('reads ranges from config, and refuses ranges without a zone, reversed ranges and names CEL cannot read', () => {
    const parsed = CalendarsSchema.parse({
      freeze: [{ start: '2026-12-20T00:00:00Z', end: '2027-01-04T00:00:00+01:00' }],
      business_hours: [{ days: ['mon', 'fri'], from: '09:00', to: '18:00', timezone: 'Europe/Paris' }],
    })
    assert.deepEqual(parsed['business_hours'], [{ days: [1, 5], from: 540, to: 1080, timezone: 'Europe/Paris' }])
    assert.equal((parsed['freeze']![0] as { end: Date }).end.toISOString(), '2027-01-03T23:00:00.000Z')
    const problems = (value: unknown) => CalendarsSchema.safeParse(value).error?.issues.map((issue) => issue.message).join(' | ') ?? ''
    assert.match(problems({ freeze: [{ start: '2026-12-20T00:00:00', end: '2027-01-04T00:00:00Z' }] }), /with a zone/)
    assert.match(problems({ freeze: [{ start: '2027-01-04T00:00:00Z', end: '2026-12-20T00:00:00Z' }] }), /end must be after start/)
    assert.match(problems({ 'code-freeze': [] }), /read as calendar\.NAME/)
    assert.match(problems({ nights: [{ days: ['monday'], from: '22:00', to: '06:00' }] }), /expected/)
  })
})

describe('calendars in policies', () => {
  const POLICY = `
version: 1
default: allow
rules:
  - id: freeze
    when: calendar.freeze
    effect: deny
    message: Change freeze.
  - id: nights
    match: { kind: shell }
    when: calendar["nights"] && !calendar.freeze
    effect: review
`
  let factKinds: Awaited<ReturnType<typeof loadAnalyzers>>['factKinds'] = []
  before(async () => {
    factKinds = (await loadAnalyzers()).factKinds
  })
  const action = { kind: 'shell', target: 'build-host', payload: { command: 'ls' }, context: {} } as unknown as Parameters<typeof decide>[1]['action']
  const target = { name: 'build-host', kind: 'shell', labels: {} }

  it('reads calendar.NAME as whether now is inside it, and records the states it read', () => {
    const policy = compilePolicy(POLICY, { factKinds, calendars: ['freeze', 'nights'] })
    const calendars = { freeze: [freeze], nights: [nights] }
    const inFreeze = decide(policy, { action, target, now: new Date('2026-12-21T12:00:00Z'), calendars })
    assert.equal(inFreeze.effect, 'deny')
    assert.deepEqual(inFreeze.calendars, { freeze: true, nights: false })
    const atNight = decide(policy, { action, target, now: new Date('2026-12-08T04:00:00Z'), calendars })
    assert.equal(atNight.effect, 'review')
    assert.deepEqual(atNight.calendars, { freeze: false, nights: true })
    const daytime = decide(policy, { action, target, now: new Date('2026-12-08T12:00:00Z'), calendars })
    assert.equal(daytime.effect, 'allow')
  })

  it('fails closed on a calendar that is not configured: the condition errors, which matches deny and review and never allows', () => {
    const policy = compilePolicy(POLICY, { factKinds })
    const decision = decide(policy, { action, target, now: new Date('2026-12-08T12:00:00Z') })
    assert.equal(decision.effect, 'deny')
    assert.equal(decision.calendars, undefined)
    assert.match(decision.rules[0]!.error ?? '', /freeze/)
  })

  it('refuses, when the calendars are known, a condition naming another calendar', () => {
    assert.throws(
      () => compilePolicy(POLICY, { factKinds, file: 'policy.yaml', calendars: ['freeze'] }),
      (error: { details?: { message: string; line?: number }[] }) => {
        assert.equal(error.details?.length, 1)
        assert.match(error.details![0]!.message, /unknown calendar "nights" \(configured: freeze\)/)
        assert.equal(error.details![0]!.line, 11)
        return true
      },
    )
  })
})
