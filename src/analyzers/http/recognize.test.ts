import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pathForms } from './recognize.js'
import { compileRoute } from './route-pattern.js'

describe('path forms recognizers match on', () => {
  const cases: readonly [string, readonly string[]][] = [
    ['/repos/acme/api', ['/repos/acme/api']],
    ['//repos//acme/api/', ['/repos/acme/api']],
    ['/repos/acme%2Fapi', ['/repos/acme%2Fapi', '/repos/acme/api']],
    ['/repos/acme/x%2F..%2F..%2Forgs%2Facme', ['/repos/acme/x%2F..%2F..%2Forgs%2Facme', '/repos/orgs/acme']],
    ['/repos/acme/api;jsessionid=1', ['/repos/acme/api;jsessionid=1', '/repos/acme/api']],
    ['/a/b%5C..%5Cc', ['/a/b%5C..%5Cc', '/a/c']],
    ['/bad%zz/%E2%82', ['/bad%zz/%E2%82']],
  ]
  for (const [path, forms] of cases) {
    it(`reads ${path} as ${forms.join(' and ')}`, () => {
      assert.deepEqual(pathForms(path), forms)
    })
  }
})

describe('route patterns', () => {
  it('matches one segment per placeholder and several for a + placeholder', () => {
    const route = compileRoute('PUT', '/repos/{owner}/{repo}/branches/{branch+}/protection')
    assert.deepEqual(route.matches('PUT', '/repos/a/b/branches/x/y/protection'), { owner: 'a', repo: 'b', branch: 'x/y' })
    assert.equal(route.matches('PUT', '/repos/a/b/c/branches/x/protection'), null)
  })

  it('matches literals regardless of case', () => {
    assert.notEqual(compileRoute('DELETE', '/repos/{owner}/{repo}').matches('DELETE', '/REPOS/a/b'), null)
  })

  it('matches a trailing /** at the path itself and below it', () => {
    const route = compileRoute('*', '/orgs/{org}/**')
    assert.deepEqual(route.matches('POST', '/orgs/acme'), { org: 'acme' })
    assert.deepEqual(route.matches('POST', '/orgs/acme/x/y'), { org: 'acme' })
    assert.equal(route.matches('POST', '/orgsx/acme'), null)
  })

  it('matches * routes for changing methods only, and every route for an unknown method', () => {
    const any = compileRoute('*', '/orgs/{org}')
    assert.equal(any.matches('GET', '/orgs/a'), null)
    assert.equal(any.matches('HEAD', '/orgs/a'), null)
    assert.notEqual(any.matches('PURGE', '/orgs/a'), null)
    const put = compileRoute('PUT|DELETE', '/x')
    assert.equal(put.matches('POST', '/x'), null)
    assert.notEqual(put.matches('DELETE', '/x'), null)
    assert.notEqual(put.matches('*', '/x'), null)
  })

  it('refuses a pattern that does not start with a slash', () => {
    assert.throws(() => compileRoute('GET', 'repos/{owner}'), /must start with "\/"/)
  })
})
