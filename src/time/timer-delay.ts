/** The longest delay setTimeout takes (2^31 − 1 ms, about 24.8 days); beyond it Node fires at once, with a TimeoutOverflowWarning. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * A delay setTimeout can take: `ms` clamped to [0, 2^31 − 1], NaN as 0. A deadline computed from
 * the wall clock can be anything after the clock is set back or forward (years away, negative):
 * clamped, a timer fires at the latest after 24.8 days (its callback looks at the time again) and
 * never at once because of an overflow.
 *
 * @example
 * setTimeout(sweep, timerDelay(deadline.getTime() - Date.now()))
 */
export function timerDelay(ms: number): number {
  if (Number.isNaN(ms)) return 0
  return Math.min(MAX_TIMER_MS, Math.max(0, ms))
}

/**
 * Milliseconds since `start`, a `performance.now()` reading: monotonic, so a duration never goes
 * negative or jumps when the system clock is set.
 */
export function elapsedMs(start: number): number {
  return performance.now() - start
}
