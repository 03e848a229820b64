import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isCredentialHeader, isCredentialName } from './sensitive.js'

describe('credential-like names', () => {
  const names: readonly [string, boolean][] = [
    ['token', true], ['access_token', true], ['accessToken', true], ['id-token', true], ['refresh_token', true],
    ['key', true], ['api_key', true], ['apiKey', true], ['APIKEY', true], ['AWSAccessKeyId', true], ['sort_key', true],
    ['client_secret', true], ['clientSecret', true], ['password', true], ['Passwd', true], ['pwd', true],
    ['X-Amz-Signature', true], ['X-Amz-Credential', true], ['X-Amz-Security-Token', true], ['X-Goog-Signature', true], ['sig', true],
    ['auth', true], ['jwt', true], ['session_id', true], ['client_assertion', true], ['private_key', true],
    ['q', false], ['page', false], ['keyword', false], ['monkey', false], ['bypass', false], ['Action', false], ['signed', false], ['updateMask', false],
  ]
  for (const [name, credential] of names) {
    it(`${credential ? 'treats' : 'does not treat'} ${name} as credential-like`, () => {
      assert.equal(isCredentialName(name), credential)
    })
  }
})

describe('credential headers', () => {
  const headers: readonly [string, boolean][] = [
    ['Authorization', true], ['proxy-authorization', true], ['Cookie', true], ['X-Api-Key', true], ['x-goog-api-key', true],
    ['Private-Token', true], ['X-Auth-Token', true], ['X-Amz-Security-Token', true],
    ['Idempotency-Key', false], ['Sec-WebSocket-Key', false], ['Content-Type', false], ['X-Amz-Target', false], ['Accept', false], ['Keep-Alive', false],
  ]
  for (const [name, credential] of headers) {
    it(`${credential ? 'treats' : 'does not treat'} ${name} as carrying credentials`, () => {
      assert.equal(isCredentialHeader(name), credential)
    })
  }
})
