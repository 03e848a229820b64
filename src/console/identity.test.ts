import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { configFromObject, directoryOf } from '../config/index.js'
import { admitClaims, sessionHuman, type Admission } from './identity.js'

const config = configFromObject(
  {
    policy: '/dev/null',
    identities: {
      humans: [{ email: 'alice@example.com', groups: ['dba'] }],
      groups: { oncall: ['alice@example.com'] },
      admins: ['carol@example.com'],
      auditors: ['dave@example.com'],
      allowed_domains: ['partner.example'],
    },
  },
  { baseDir: '/' },
)
const admission: Admission = { directory: directoryOf(config), allowedDomains: config.identities.allowed_domains }

describe('who may sign in to the console', () => {
  const cases: [string, Record<string, unknown>, ReturnType<typeof admitClaims>][] = [
    ['a configured human, lower-cased', { email: 'Alice@Example.COM', email_verified: true }, { ok: true, email: 'alice@example.com', groups: [] }],
    ['a configured human whose provider says nothing of verification', { email: 'alice@example.com' }, { ok: true, email: 'alice@example.com', groups: [] }],
    ['an admin named only in admins', { email: 'carol@example.com', email_verified: true }, { ok: true, email: 'carol@example.com', groups: [] }],
    ['anyone of an allowed domain', { email: 'pat@partner.example', email_verified: true }, { ok: true, email: 'pat@partner.example', groups: [] }],
    ['nobody with an unverified email, configured or not', { email: 'alice@example.com', email_verified: false }, { ok: false, code: 'email_unverified' }],
    ['nobody whose provider says "false" as a string', { email: 'alice@example.com', email_verified: 'false' }, { ok: false, code: 'email_unverified' }],
    ['nobody unknown of another domain', { email: 'mallory@evil.example', email_verified: true }, { ok: false, code: 'not_allowed' }],
    ['nobody of a subdomain of an allowed domain', { email: 'pat@x.partner.example', email_verified: true }, { ok: false, code: 'not_allowed' }],
    ['nobody without an email', { sub: '42' }, { ok: false, code: 'no_email' }],
    ['nobody whose email is not a string', { email: ['alice@example.com'] }, { ok: false, code: 'no_email' }],
    ['the same person when the email hides a zero-width character (folded)', { email: 'ali\u200Bce@example.com' }, { ok: true, email: 'alice@example.com', groups: [] }],
  ]
  for (const [name, claims, expected] of cases) {
    it(`admits ${name}`, () => assert.deepEqual(admitClaims(claims, admission), expected))
  }

  it('takes groups from the configured claim: a list or one string, names a policy could not write dropped', () => {
    const claims = { email: 'alice@example.com', groups: ['sre', '/platform', 'bad name', 42, 'x'.repeat(70)], roles: 'dba, oncall  security' }
    assert.deepEqual(admitClaims(claims, admission, 'groups'), { ok: true, email: 'alice@example.com', groups: ['platform', 'sre'] })
    assert.deepEqual(admitClaims(claims, admission, 'roles'), { ok: true, email: 'alice@example.com', groups: ['dba', 'oncall', 'security'] })
    assert.deepEqual(admitClaims(claims, admission, 'missing'), { ok: true, email: 'alice@example.com', groups: [] })
  })
})

describe('the human behind a console session', () => {
  it('merges the groups of the config with those the provider asserted, and takes roles from the config only', () => {
    assert.deepEqual(sessionHuman({ email: 'alice@example.com', groups: ['sre', 'dba'] }, admission), { type: 'human', email: 'alice@example.com', groups: ['dba', 'oncall', 'sre'], admin: false, auditor: false })
    assert.deepEqual(sessionHuman({ email: 'carol@example.com', groups: [] }, admission), { type: 'human', email: 'carol@example.com', groups: [], admin: true, auditor: false })
    // Claiming a group named like a role grants no role.
    assert.deepEqual(sessionHuman({ email: 'pat@partner.example', groups: ['admin', 'auditors'] }, admission), { type: 'human', email: 'pat@partner.example', groups: ['admin', 'auditors'], admin: false, auditor: false })
  })

  it('ends the session of someone the config no longer lets in', () => {
    const later: Admission = { directory: directoryOf(configFromObject({ policy: '/dev/null' }, { baseDir: '/' })), allowedDomains: [] }
    assert.equal(sessionHuman({ email: 'alice@example.com', groups: [] }, later), undefined)
    assert.equal(sessionHuman({ email: 'pat@partner.example', groups: [] }, later), undefined)
  })
})
