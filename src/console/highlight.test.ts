import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { shellTokens, sqlTokens, type Token } from '../../console/src/components/highlight.js'

const join = (tokens: readonly Token[]) => tokens.map((token) => token.text).join('')
const kinds = (tokens: readonly Token[], kind: Token['kind']) => tokens.filter((token) => token.kind === kind).map((token) => token.text)

describe("the console's highlighter", () => {
  it('never changes the text it colors: the tokens joined are the input, for any input', () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: fc.constantFrom(...`$'"\`-/*\\|&;()<>{}#\n\t a1E\u202E\u200B`.split('')) }))
    fc.assert(fc.property(text, (input) => join(sqlTokens(input)) === input && join(shellTokens(input)) === input), { numRuns: 2000 })
  })

  it('marks the SQL that changes data apart from other keywords, and strings, comments and names as such', () => {
    const tokens = sqlTokens("DELETE FROM users WHERE note = 'it''s -- not a comment' -- a comment\nSELECT now()")
    assert.deepEqual(kinds(tokens, 'danger'), ['DELETE'])
    assert.deepEqual(kinds(tokens, 'kw'), ['FROM', 'WHERE', 'SELECT'])
    assert.deepEqual(kinds(tokens, 'str'), ["'it''s -- not a comment'"])
    assert.deepEqual(kinds(tokens, 'com'), ['-- a comment'])
    assert.deepEqual(kinds(tokens, 'fn'), ['now'])
    assert.deepEqual(kinds(sqlTokens('SELECT $q$ DROP TABLE x $q$'), 'danger'), [], 'a dollar-quoted string is a string')
  })

  it('marks the programs of a command line (risky ones apart) and their flags', () => {
    const tokens = shellTokens('cd /srv && sudo rm -rf "$DIR"/* | tee log # cleanup')
    assert.deepEqual(kinds(tokens, 'cmd'), ['cd', 'tee'])
    assert.deepEqual(kinds(tokens, 'danger'), ['sudo', 'rm'])
    assert.deepEqual(kinds(tokens, 'flag'), ['-rf'])
    assert.deepEqual(kinds(tokens, 'str'), ['"$DIR"'])
    assert.deepEqual(kinds(tokens, 'com'), ['# cleanup'])
    assert.deepEqual(kinds(shellTokens('echo $(curl -s x)'), 'danger'), ['curl'])
  })
})
