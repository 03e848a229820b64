import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cliAgainst } from './test-api-stand-in.js'

const nowhere = { url: 'http://127.0.0.1:9', token: '' }

describe('the client verbs', () => {
  for (const verb of [['submit'], ['approve'], ['deny'], ['cancel'], ['list'], ['show'], ['watch'], ['audit', 'verify'], ['audit', 'export'], ['token', 'create']]) {
    it(`explain themselves with examples and the environment: ${verb.join(' ')} --help`, async () => {
      const result = await cliAgainst(nowhere, [...verb, '--help'])
      assert.equal(result.code, 0)
      assert.match(result.stdout, new RegExp(`^Usage: countersign ${verb.join(' ')} `))
      assert.match(result.stdout, /\nExamples:\n {2}\$ countersign /)
      assert.match(result.stdout, /COUNTERSIGN_URL/)
      assert.match(result.stdout, /Gateway options:\n {2}--url <url>/)
    })
  }
})
