import { z } from 'zod'
import { WEEKDAY_NAMES, type CalendarRange, type Calendars } from '../policy/index.js'

/** An instant with an explicit zone (`Z` or `+01:00`): a freeze must not move with the server's zone. */
const Instant = z
  .union([z.date(), z.string()], 'expected a date and time such as 2026-12-20T00:00:00Z')
  .transform((value, ctx) => {
    if (typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value.trim())) {
      ctx.addIssue({ code: 'custom', message: `expected an ISO 8601 date and time with a zone, such as 2026-12-20T00:00:00Z or 2026-12-20T00:00:00+01:00, got "${value}"` })
      return z.NEVER
    }
    const date = typeof value === 'string' ? new Date(value.trim()) : value
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: `not a valid date and time: "${String(value)}"` })
      return z.NEVER
    }
    return date
  })

/** `HH:MM` on a 24-hour clock; `24:00` is the end of the day. */
const TimeOfDay = z
  .string('expected a time of day such as 09:00')
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected a time of day HH:MM such as 09:00 or 24:00')
  .transform((text) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3)))

const Zone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}, 'unknown time zone (expected an IANA name such as Europe/Paris)')

const Span = z
  .strictObject({ start: Instant, end: Instant })
  .refine((span) => span.start.getTime() < span.end.getTime(), { message: 'end must be after start', path: ['end'] })

const Weekly = z
  .strictObject({
    days: z.array(z.enum(WEEKDAY_NAMES, `expected weekdays among ${WEEKDAY_NAMES.join(', ')}`)).min(1),
    from: TimeOfDay,
    to: TimeOfDay,
    timezone: Zone.default('UTC'),
  })
  .refine((weekly) => weekly.from !== weekly.to, { message: 'from and to must differ', path: ['to'] })

const Range = z.union([Span, Weekly], 'expected {start, end} (dates and times with a zone) or {days, from, to, timezone} (weekly hours)').transform(
  (range): CalendarRange => ('start' in range ? { start: range.start, end: range.end } : { days: range.days.map((day) => WEEKDAY_NAMES.indexOf(day)), from: range.from, to: range.to, timezone: range.timezone }),
)

/**
 * `calendars`: named time ranges, readable in policy conditions as `calendar.NAME` (true while
 * now is inside one of its ranges) and checked again when an approved action is executed.
 *
 * @example
 * calendars:
 *   freeze:
 *     - { start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z }
 *   business_hours:
 *     - { days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00", timezone: Europe/Paris }
 */
export const CalendarsSchema = z
  .record(z.string(), z.array(Range))
  .superRefine((calendars, ctx) => {
    for (const name of Object.keys(calendars)) {
      // A CEL identifier, so that `calendar.NAME` reads it.
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `calendar name "${name}": expected letters, digits and "_" (it is read as calendar.NAME)` })
    }
  })
  .default({})
  .transform((calendars): Calendars => calendars)
