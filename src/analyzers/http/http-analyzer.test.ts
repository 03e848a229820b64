import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { before, describe, it } from 'node:test'
import fc from 'fast-check'
import { ActionSchema } from '../../action/index.js'
import type { Analysis, Analyzer } from '../analyzer.js'
import { HTTP_FACT_TYPES, loadHttpAnalyzer, type HttpFacts } from './index.js'

let http: Analyzer<HttpFacts>
before(async () => {
  http = await loadHttpAnalyzer()
})

const analyze = (payload: Record<string, unknown>): Analysis<HttpFacts> => http.analyze(payload)

interface Fixture {
  readonly name: string
  readonly payload: Record<string, unknown>
  readonly facts: Partial<HttpFacts>
  readonly summary?: string
  readonly highlights?: readonly string[]
}

const FIXTURES = JSON.parse(readFileSync(new URL('./fixtures/requests.json', import.meta.url), 'utf8')) as readonly Fixture[]

describe('http analyzer', () => {
  it('declares its kind, root type and a CEL type for every fact', () => {
    assert.equal(http.kind, 'http')
    assert.equal(http.rootType, 'HttpFacts')
    assert.equal(http.types, HTTP_FACT_TYPES)
    const { facts } = analyze({ method: 'GET', url: 'https://example.com/' })
    assert.deepEqual(Object.keys(HTTP_FACT_TYPES.HttpFacts ?? {}).sort(), Object.keys(facts).sort())
  })

  it('keeps the fact names and types promised to policy authors', () => {
    const promised = { method: 'string', host: 'string', path: 'string', query: 'map<string, dyn>', content_type: 'string', mutating: 'bool' }
    for (const [name, type] of Object.entries(promised)) assert.equal(HTTP_FACT_TYPES.HttpFacts?.[name], type, name)
  })

  it('sets every fact, with empty values when they do not apply', () => {
    const { facts } = analyze({ method: 'GET', url: 'https://example.com/' })
    assert.deepEqual(facts, {
      method: 'GET', host: 'example.com', path: '/', query: {}, content_type: '', mutating: false, port: 443, scheme: 'https',
      url: 'https://example.com/', service: '', operation: '', admin: false, headers: [], body_keys: [], parse_error: '',
    })
  })
})

describe('http fixtures', () => {
  for (const fixture of FIXTURES) {
    it(fixture.name, () => {
      assert.equal(ActionSchema.safeParse({ kind: 'http', target: 'api', payload: fixture.payload }).success, true, 'the fixture is a valid payload')
      const { facts, summary, highlights } = analyze(fixture.payload)
      for (const [name, expected] of Object.entries(fixture.facts)) {
        assert.ok(name in facts, `${name} is a fact`)
        assert.deepEqual(facts[name as keyof HttpFacts], expected, name)
      }
      if (fixture.summary !== undefined) assert.equal(summary, fixture.summary)
      if (fixture.highlights !== undefined) assert.deepEqual(highlights, fixture.highlights)
    })
  }
})

describe('mutating', () => {
  const cases: readonly [string, boolean][] = [
    ['GET', false], ['HEAD', false], ['OPTIONS', false], ['TRACE', false], ['get', false],
    ['POST', true], ['PUT', true], ['PATCH', true], ['DELETE', true], ['CONNECT', true], ['PROPFIND', true], ['FOO', true],
  ]
  for (const [method, mutating] of cases) {
    it(`${mutating ? 'counts' : 'does not count'} ${method} as mutating`, () => {
      assert.equal(analyze({ method, url: 'https://example.com/x' }).facts.mutating, mutating)
    })
  }

  it('counts a _method parameter as a method override', () => {
    const { facts, highlights } = analyze({ method: 'POST', url: 'https://example.com/x', body: '_method=DELETE&id=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
    assert.equal(facts.mutating, true)
    assert.ok(highlights.includes('overrides its method (_method parameter): it may do whatever the path allows'))
    assert.equal(analyze({ method: 'GET', url: 'https://example.com/x?_method=DELETE' }).facts.mutating, true)
  })
})

describe('secrets never reach facts, summary or highlights', () => {
  const token = fc.stringMatching(/^[A-Za-z0-9]{12,40}$/).map((text) => `S3cr3t${text}`)

  it('drops header values, userinfo, credential query values and body values', () => {
    fc.assert(
      fc.property(token, fc.constantFrom('Authorization', 'Cookie', 'X-Api-Key', 'Private-Token', 'X-Custom'), (secret, header) => {
        const analysis = analyze({
          method: 'POST',
          url: `https://user:${secret}@api.github.com/repos/acme/api?access_token=${secret}&client_secret=${secret}&password=${secret}`,
          headers: { [header]: `Bearer ${secret}`, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: `password=${secret}&Action=x`,
        })
        const shown = JSON.stringify(analysis)
        assert.equal(shown.includes(secret), false, shown)
      }),
    )
  })

  it('drops JSON body values and the values of non-credential headers', () => {
    const analysis = analyze({ method: 'POST', url: 'https://example.com/', headers: { 'X-Trace': 'trace-value-123' }, body: { note: 'body-value-456' } })
    const shown = JSON.stringify(analysis)
    assert.equal(shown.includes('trace-value-123'), false)
    assert.equal(shown.includes('body-value-456'), false)
    assert.deepEqual(analysis.facts.body_keys, ['note'])
  })

  it('redacts a credential-like query value the same way in query and url, whatever its escaping', () => {
    const { facts } = analyze({ method: 'GET', url: 'https://example.com/?tok%65n=abc&%25zz=1&api%5Fkey=def' })
    assert.deepEqual(facts.query, { token: '(redacted)', '%zz': '1', api_key: '(redacted)' })
    assert.equal(facts.url, 'https://example.com/?tok%65n=(redacted)&%25zz=1&api%5Fkey=(redacted)')
  })
})

describe('summary and highlights', () => {
  it('shortens a long path in the summary but keeps the recognized call', () => {
    const { summary } = analyze({ method: 'DELETE', url: `https://api.github.com/repos/acme/${'x'.repeat(500)}` })
    assert.ok(summary.length <= 200, summary)
    assert.match(summary, /…\s\(github repos\.delete\)$/)
  })

  it('escapes control and bidi characters decoded from the path', () => {
    const { highlights } = analyze({ method: 'PUT', url: 'https://api.github.com/repos/acme/api/collaborators/bob%E2%80%AEnimda%0A' })
    assert.equal(highlights[0], 'administers GitHub repository acme/api: adds collaborator bob\\u202enimda\\u000a')
  })

  it('keeps a query parameter named __proto__ as data', () => {
    const { facts } = analyze({ method: 'GET', url: 'https://example.com/?__proto__=x&constructor=y' })
    assert.equal(Object.getPrototypeOf(facts.query), Object.prototype)
    assert.deepEqual(Object.entries(facts.query), [['__proto__', 'x'], ['constructor', 'y']])
  })
})

describe('robustness', () => {
  it('never throws and never looks safe when the URL cannot be analyzed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.constantFrom('GET', 'POST', 'DELETE'), fc.anything(), (url, method, body) => {
        const { facts } = analyze({ method, url, body })
        if (facts.parse_error !== '') {
          assert.equal(facts.mutating, true)
          assert.equal(facts.admin, true)
        }
      }),
    )
  })

  it('never throws on arbitrary http(s) URLs, headers and bodies', () => {
    const url = fc.tuple(fc.constantFrom('http', 'https', 'HTTPS'), fc.webUrl({ withQueryParameters: true, withFragments: true })).map(([scheme, rest]) => rest.replace(/^https?/, scheme))
    fc.assert(
      fc.property(url, fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })), fc.oneof(fc.string(), fc.jsonValue()), (u, headers, body) => {
        const analysis = analyze({ method: 'POST', url: u, headers, body })
        assert.equal(analysis.facts.parse_error, '')
        assert.equal(typeof analysis.summary, 'string')
      }),
    )
  })
})
