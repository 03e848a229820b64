/**
 * Named calendars (config `calendars`): time ranges a policy reads as
 * `calendar.NAME`, true while the decision's clock is inside one of the calendar's ranges.
 * Pure: the clock is an input, so a decision and its re-check at execution are reproducible.
 */

/** The weekdays as config names them, in CEL's order (0 = Sunday). */
export const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export type WeekdayName = (typeof WEEKDAY_NAMES)[number]

/** One range of a calendar: an absolute span, or the same hours on some weekdays in a zone. */
export type CalendarRange =
  | {
      /** Inclusive start. */
      readonly start: Date
      /** Exclusive end. */
      readonly end: Date
    }
  | {
      /** Weekdays the range starts on, 0 (Sunday) – 6. */
      readonly days: readonly number[]
      /** Minutes after local midnight, inclusive. */
      readonly from: number
      /** Minutes after local midnight, exclusive; at or before `from` means the range ends the next day. */
      readonly to: number
      /** IANA zone the hours are in. */
      readonly timezone: string
    }

/** Every configured calendar by name. */
export type Calendars = Readonly<Record<string, readonly CalendarRange[]>>

const formats = new Map<string, Intl.DateTimeFormat>()
const WEEKDAY_OF: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 }

/** The weekday and minute of the day of `now` in `timeZone`. */
function localTime(now: Date, timeZone: string): { weekday: number; minute: number } {
  let format = formats.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' })
    formats.set(timeZone, format)
  }
  let weekday = 0
  let hour = 0
  let minute = 0
  for (const part of format.formatToParts(now)) {
    if (part.type === 'weekday') weekday = WEEKDAY_OF[part.value] ?? 0
    else if (part.type === 'hour') hour = Number(part.value)
    else if (part.type === 'minute') minute = Number(part.value)
  }
  return { weekday, minute: hour * 60 + minute }
}

/**
 * Whether `now` is inside any of `ranges`. An absolute range holds from `start` (inclusive) to
 * `end` (exclusive); a weekly one from `from` to `to` on each of its `days`, crossing midnight
 * into the next day when `to` is not after `from` (22:00–06:00).
 *
 * @example
 * inCalendar([{ start: new Date('2026-12-20T00:00Z'), end: new Date('2027-01-04T00:00Z') }], new Date('2026-12-25T12:00Z')) // true
 */
export function inCalendar(ranges: readonly CalendarRange[], now: Date): boolean {
  const at = now.getTime()
  if (Number.isNaN(at)) return false
  return ranges.some((range) => {
    if ('start' in range) return range.start.getTime() <= at && at < range.end.getTime()
    const { weekday, minute } = localTime(now, range.timezone)
    if (range.from < range.to) return range.days.includes(weekday) && range.from <= minute && minute < range.to
    // Overnight: the evening of a listed day, or the morning after one.
    return (range.days.includes(weekday) && minute >= range.from) || (range.days.includes((weekday + 6) % 7) && minute < range.to)
  })
}

/**
 * Each named calendar's state at `now`: what `calendar.NAME` reads. `names` limits it to the
 * calendars asked for (a name without a calendar is left out, so reading it is an error, and
 * errors never allow).
 */
export function calendarStates(calendars: Calendars, now: Date, names?: Iterable<string>): Record<string, boolean> {
  const states: Record<string, boolean> = {}
  for (const name of names ?? Object.keys(calendars)) {
    const ranges = Object.hasOwn(calendars, name) ? calendars[name] : undefined
    if (ranges) states[name] = inCalendar(ranges, now)
  }
  return states
}

/**
 * The calendars whose state at `now` differs from the one a decision saw (`seen`), each as
 * `{name, was, now}`; empty when the decision still holds. A calendar no longer configured counts
 * as changed: the window the decision relied on cannot be checked.
 */
export function calendarChanges(calendars: Calendars, seen: Readonly<Record<string, unknown>>, now: Date): readonly { readonly name: string; readonly was: boolean; readonly now: boolean | null }[] {
  const changes: { name: string; was: boolean; now: boolean | null }[] = []
  for (const [name, was] of Object.entries(seen)) {
    const ranges = Object.hasOwn(calendars, name) ? calendars[name] : undefined
    const current = ranges ? inCalendar(ranges, now) : null
    if (current !== was) changes.push({ name, was: was === true, now: current })
  }
  return changes
}
