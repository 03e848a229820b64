import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BoundedOutput } from './bounded-output.js'
import { Redactor } from './redact.js'
import { assertNoSecret, secretForms } from './test-support.js'

describe('redactor', () => {
  it('masks secrets, their URL-encoded form and the password inside a connection URL', () => {
    const redactor = new Redactor(['postgres://app:p%40ss/w@db:5432/cs', 'tok en'])
    assert.equal(redactor.text('login p@ss/w failed for postgres://app:p%40ss/w@db:5432/cs'), 'login *** failed for ***')
    assert.equal(redactor.text('raw p%40ss/w, token tok%20en or tok en'), 'raw ***, token *** or ***')
    assert.deepEqual(redactor.value({ rows: [['tok en', 1]], 'tok en': true }), { rows: [['***', 1]], '***': true })
  })

  it('masks the beginning of a secret left at the end of a cut text, only when cut', () => {
    const redactor = new Redactor(['abcdefghij'])
    assert.equal(redactor.text('value: abcde', true), 'value: ***')
    assert.equal(redactor.text('value: abcde'), 'value: abcde')
    assert.equal(redactor.text('value: abc', true), 'value: abc')
  })
})

describe('redactor, encoded and split forms', () => {
  const secret = 'tok-9d8f/7a+6b5c4e3d"2f1a0bé'
  const redactor = new Redactor([secret])

  it('masks every encoded form of a secret, in any letter case', () => {
    for (const form of secretForms(secret)) {
      for (const cased of [form, form.toUpperCase(), form.toLowerCase()]) {
        const masked = redactor.text(`before ${cased} after`)
        assert.match(masked, /^before \*\*\* after$/, `${cased} → ${masked}`)
      }
    }
  })

  it('masks a secret base64-encoded inside a longer stream, whatever its offset, std and url-safe', () => {
    for (const prefix of ['', 'a', 'ab', 'abc', 'user:']) {
      for (const suffix of ['', 'x', 'xy', '\n']) {
        const encoded = Buffer.from(`${prefix}${secret}${suffix}`).toString('base64')
        for (const stream of [encoded, encoded.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')]) {
          const masked = redactor.text(`Authorization: Basic ${stream}`)
          assertNoSecret(masked, secret)
          assert.ok(!Buffer.from(masked.replace(/^Authorization: Basic /, '').replace(/\*\*\*/g, ''), 'base64').toString('latin1').includes(secret.slice(4, 12)), masked)
        }
      }
    }
  })

  it('masks a secret printed in pieces of 6 characters or more, as with ${S:0:6} ${S:6}', () => {
    const pieces = [secret.slice(0, 6), secret.slice(6, 13), secret.slice(13)]
    const masked = redactor.text(`${pieces[0]} ${pieces[1]}\n${pieces[2]}`)
    assert.equal(masked, '*** ***\n***')
    assertNoSecret(masked, secret, { piece: 6 })
  })

  it('leaves ordinary text alone, and a connection URL frame or PEM header masked only whole', () => {
    const url = new Redactor(['postgres://app:Xk29vLq7Pz@db:5432/app', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKs9dYvRk8Lq3Zk\n-----END PRIVATE KEY-----'])
    const text = 'connected to postgres on db:5432 as app; -----BEGIN PUBLIC KEY----- stays; sha 9f86d081884c7d65'
    assert.equal(url.text(text), text)
    assert.equal(url.text('password Xk29vL and Lq7Pz@'), 'password *** and Lq7Pz@')
    assert.equal(url.text('key line MC4CAQAwBQYD'), 'key line ***')
  })
})

describe('bounded output', () => {
  it('keeps bytes up to the limit, counts the rest and drops a character cut in half', () => {
    const output = new BoundedOutput(5)
    assert.equal(output.push('abcd'), true)
    assert.equal(output.push('é and more'), false)
    assert.equal(output.truncated, true)
    assert.equal(output.total, 15)
    assert.equal(output.text(), 'abcd')
    const exact = new BoundedOutput(6)
    exact.push('abcdé')
    assert.equal(exact.truncated, false)
    assert.equal(exact.text(), 'abcdé')
  })
})
