import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_TIMER_MS, timerDelay } from './index.js'

describe('timerDelay', () => {
  it('clamps a delay to what setTimeout takes, whatever the clock did', () => {
    assert.equal(timerDelay(5), 5)
    assert.equal(timerDelay(-3_000), 0)
    assert.equal(timerDelay(Number.NaN), 0)
    // A deadline 10 years ahead after the clock was set back: the longest timer, not an overflow.
    assert.equal(timerDelay(10 * 365 * 86_400_000), MAX_TIMER_MS)
    assert.equal(timerDelay(Number.POSITIVE_INFINITY), MAX_TIMER_MS)
  })

  it('keeps Node from warning: a clamped far deadline sets a timer without a TimeoutOverflowWarning', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error) => warnings.push(warning.name)
    process.on('warning', onWarning)
    clearTimeout(setTimeout(() => undefined, timerDelay(Date.parse('2036-01-01') - Date.parse('2026-01-01'))))
    await new Promise((resolve) => setImmediate(resolve))
    process.off('warning', onWarning)
    assert.deepEqual(warnings, [])
  })
})
