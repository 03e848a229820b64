import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { slackSignature, verifySlackSignature } from './signature.js'

const secret = '8f742231b10e8888abcd99yyyzzz85a5'
const body = new TextEncoder().encode('payload=%7B%22type%22%3A%22block_actions%22%7D')
const now = 1_700_000_000_000
const signed = (timestamp: string, key = secret) => ({ timestamp, signature: slackSignature(key, timestamp, body), body })

describe("Slack's v0 request signature", () => {
  it("matches Slack's documented example", () => {
    // From Slack's "Verifying requests from Slack" guide.
    const example = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
    assert.equal(slackSignature(secret, '1531420618', example), 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503')
  })

  const cases: [string, Parameters<typeof verifySlackSignature>[0], RegExp | undefined][] = [
    ['accepts a fresh, correctly signed request', signed(String(now / 1000)), undefined],
    ['accepts a timestamp 5 minutes old', signed(String(now / 1000 - 300)), undefined],
    ['refuses a timestamp more than 5 minutes old', signed(String(now / 1000 - 301)), /5 minutes/],
    ['refuses a timestamp more than 5 minutes ahead', signed(String(now / 1000 + 301)), /5 minutes/],
    ['refuses another secret', signed(String(now / 1000), 'another-secret'), /does not match/],
    ['refuses a changed body', { ...signed(String(now / 1000)), body: new TextEncoder().encode('payload=%7B%7D') }, /does not match/],
    ['refuses a signature for another timestamp', { ...signed(String(now / 1000 - 1)), timestamp: String(now / 1000) }, /does not match/],
    ['refuses a missing timestamp', { ...signed(String(now / 1000)), timestamp: undefined }, /timestamp/i],
    ['refuses a timestamp that is not a number', { ...signed(String(now / 1000)), timestamp: '1e9' }, /timestamp/i],
    ['refuses a missing signature', { ...signed(String(now / 1000)), signature: undefined }, /signature/i],
    ['refuses another signature version', { ...signed(String(now / 1000)), signature: slackSignature(secret, String(now / 1000), body).replace('v0=', 'v1=') }, /signature/i],
  ]
  for (const [name, request, refusal] of cases) {
    it(name, () => {
      const verdict = verifySlackSignature(request, secret, now)
      if (refusal === undefined) assert.equal(verdict.ok, true, JSON.stringify(verdict))
      else {
        assert.equal(verdict.ok, false)
        assert.match((verdict as { reason: string }).reason, refusal)
      }
    })
  }
})
