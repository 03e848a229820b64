const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/
const PART = /(\d+)(ms|s|m|h|d)/g

/**
 * Parses a duration such as `30m`, `1h30m`, `90s` or `2d` into milliseconds;
 * `undefined` for anything else (no bare numbers: a unit must be said).
 *
 * @example
 * parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined
  let total = 0
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  return total
}

/** Formats milliseconds the way policies write them (`1h30m`, `15m`, `45s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  let rest = ms
  let text = ''
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const count = Math.floor(rest / UNIT_MS[unit])
    if (count > 0) {
      text += `${count}${unit}`
      rest -= count * UNIT_MS[unit]
    }
  }
  return text
}
