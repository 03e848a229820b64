import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { identityEnvironment, identityText, newSpanId, newTraceId, traceIdOf } from './execution-context.js'
import { testContext } from './test-support.js'

describe('execution context', () => {
  it('takes the trace id of a bare W3C trace id or a whole traceparent, and nothing else', () => {
    assert.equal(traceIdOf('4BF92F3577B34DA6A3CE929D0E0E4736'), '4bf92f3577b34da6a3ce929d0e0e4736')
    assert.equal(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), '4bf92f3577b34da6a3ce929d0e0e4736')
    for (const bad of [undefined, 7, '', 'trace-1', '0'.repeat(32), '4bf92f3577b34da6a3ce929d0e0e473', '4bf92f3577b34da6a3ce929d0e0e4736\r\nx: y', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7']) {
      assert.equal(traceIdOf(bad), undefined, String(bad))
    }
    assert.match(newTraceId(), /^[0-9a-f]{32}$/)
    assert.match(newSpanId(), /^(?!0{16})[0-9a-f]{16}$/)
  })

  it('keeps printable ASCII and percent-encodes everything else, so no value holds CR, LF, NUL or edge spaces', () => {
    assert.equal(identityText('alice@example.com'), 'alice@example.com')
    assert.equal(identityText(' a\r\nb\0c%d\u2028é '), '%20a%0D%0Ab%00c%25d%E2%80%A8%C3%A9%20')
    assert.equal(identityText('a,b', ','), 'a%2Cb')
    for (const value of ['\0\r\n\t', 'ü ñ 🙂', '%41', "'; rm -rf / #"]) {
      const encoded = identityText(value)
      assert.match(encoded, /^[\x21-\x7e]*$/)
      assert.equal(decodeURIComponent(encoded), value)
    }
  })

  it('names the four COUNTERSIGN_* variables, approvers comma-separated, an absent on_behalf_of empty', () => {
    const context = testContext({ request_id: 'act_1', on_behalf_of: null })
    assert.deepEqual(identityEnvironment(context), {
      COUNTERSIGN_REQUEST_ID: 'act_1',
      COUNTERSIGN_AGENT: 'deploy-bot',
      COUNTERSIGN_ON_BEHALF_OF: '',
      COUNTERSIGN_APPROVERS: 'alice@example.com,bob@example.com',
    })
  })
})
