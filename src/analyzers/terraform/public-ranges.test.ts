import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isPublicRange, isPublicSpan } from './public-ranges.js'

describe('public source ranges', () => {
  // [source, opens to the internet]
  const CASES: ReadonlyArray<readonly [string, boolean]> = [
    ['0.0.0.0/0', true],
    ['::/0', true],
    ['0::/0', true],
    [' 0.0.0.0/0 ', true],
    ['0.0.0.0/1', true], // with 128.0.0.0/1, the classic way round a check for 0.0.0.0/0
    ['128.0.0.0/1', true],
    ['3.0.0.0/8', true],
    ['52.0.0.0/6', true],
    ['2000::/3', true],
    ['2001::/16', true],
    ['*', true],
    ['Internet', true],
    ['Any', true],
    ['10.0.0.0/8', false],
    ['10.0.0.0/7', true], // 11.0.0.0/8 is public
    ['127.0.0.0/8', false],
    ['0.0.0.0/8', false],
    ['224.0.0.0/4', false],
    ['203.0.113.0/24', false],
    ['3.0.0.0/9', false],
    ['fc00::/7', false],
    ['fe80::/10', false],
    ['2001:db8::/32', false],
    ['VirtualNetwork', false],
    ['AzureLoadBalancer', false],
    ['0.0.0.0', false],
    ['not-a-cidr/0', false],
    ['300.0.0.0/0', false],
    ['0.0.0.0/x', false],
  ]
  for (const [source, expected] of CASES) {
    it(`${expected ? 'counts' : 'does not count'} ${JSON.stringify(source)} as the internet`, () => {
      assert.equal(isPublicRange(source), expected)
    })
  }

  // [start, end, spans a public /8 or more]
  const SPANS: ReadonlyArray<readonly [string, string, boolean]> = [
    ['0.0.0.0', '255.255.255.255', true],
    ['1.0.0.0', '1.255.255.255', true],
    ['10.0.0.0', '10.255.255.255', false],
    ['198.51.100.0', '198.51.100.255', false],
    ['0.0.0.0', '0.0.0.0', false],
    ['255.255.255.255', '0.0.0.0', false],
    ['bogus', '255.255.255.255', false],
  ]
  for (const [start, end, expected] of SPANS) {
    it(`${expected ? 'counts' : 'does not count'} ${start}-${end} as the internet`, () => {
      assert.equal(isPublicSpan(start, end), expected)
    })
  }
})
