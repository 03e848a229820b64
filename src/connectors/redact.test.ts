import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BoundedOutput } from './bounded-output.js'
import { Redactor } from './redact.js'

describe('redactor', () => {
  it('masks secrets, their URL-encoded form and the password inside a connection URL', () => {
    const redactor = new Redactor(['postgres://app:p%40ss/w@db:5432/cs', 'tok en'])
    assert.equal(redactor.text('login p@ss/w failed for postgres://app:p%40ss/w@db:5432/cs'), 'login *** failed for ***')
    assert.equal(redactor.text('raw p%40ss/w, token tok%20en or tok en'), 'raw ***, token *** or ***')
    assert.deepEqual(redactor.value({ rows: [['tok en', 1]], 'tok en': true }), { rows: [['***', 1]], '***': true })
  })

  it('masks the beginning of a secret left at the end of a cut text, only when cut', () => {
    const redactor = new Redactor(['abcdefghij'])
    assert.equal(redactor.text('value: abcdef', true), 'value: ***')
    assert.equal(redactor.text('value: abcdef'), 'value: abcdef')
    assert.equal(redactor.text('value: abc', true), 'value: abc')
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
