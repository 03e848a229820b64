import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { latency } from '../../console/src/format.js'

describe('the console monitor\'s latencies', () => {
  it('never shows a negative latency (two wall-clock times across a clock set back)', () => {
    assert.equal(latency(240), '240 ms')
    assert.equal(latency(-5_000), '—')
    assert.equal(latency(Number.NaN), '—')
  })
})
