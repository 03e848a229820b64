import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { escapeInline, escapeInvisible } from './escape-invisible.js'

describe('escapeInvisible', () => {
  for (const [name, input, expected] of [
    ['a right-to-left override', 'rm -rf /tmp/\u202Egnp.x', 'rm -rf /tmp/\\u{202E}gnp.x'],
    ['an escape sequence that would recolor the terminal', 'SELECT 1;\x1b[2K\x1b[1ADROP TABLE x', 'SELECT 1;\\u{001B}[2K\\u{001B}[1ADROP TABLE x'],
    ['a carriage return that would overwrite the line', 'ls\rrm -rf /', 'ls\\u{000D}rm -rf /'],
    ['zero-width characters', 'pass\u200Bword\u200D\uFEFF', 'pass\\u{200B}word\\u{200D}\\u{FEFF}'],
    ['bidi isolates and marks', '\u2066a\u2069\u200F\u061C', '\\u{2066}a\\u{2069}\\u{200F}\\u{061C}'],
    ['C1 controls and DEL', '\u0085\u009B\u007F', '\\u{0085}\\u{009B}\\u{007F}'],
    ['a no-break space inside a path', 'rm -rf /tmp/a\u00A0b', 'rm -rf /tmp/a\\u{00A0}b'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u{2028}b\\u{2029}c'],
    ['tag characters', 'ok\u{E0041}\u{E007F}', 'ok\\u{E0041}\\u{E007F}'],
    ['a Hangul filler that renders as nothing', 'a\u3164b', 'a\\u{3164}b'],
    ['a lone surrogate', 'a\uD800b', 'a\\u{D800}b'],
  ] as const) {
    it(`shows ${name} as a marker`, () => {
      assert.equal(escapeInvisible(input), expected)
    })
  }

  it('keeps line feeds and tabs in multi-line text, and escapes them inline', () => {
    assert.equal(escapeInvisible('a\n\tb'), 'a\n\tb')
    assert.equal(escapeInline('a\n\tb'), 'a\\u{000A}\\u{0009}b')
  })

  it('leaves printable text of any script alone', () => {
    assert.equal(escapeInvisible('SELECT * FROM "Größe" -- 日本語 ✓ é'), 'SELECT * FROM "Größe" -- 日本語 ✓ é')
  })

  it('never lets a control or format character through, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        assert.doesNotMatch(escapeInline(text), /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u)
        assert.doesNotMatch(escapeInvisible(text), /[\p{Cf}\p{Cs}\p{Zl}\p{Zp}]|(?![\n\t])\p{Cc}/u)
      }),
    )
  })
})
