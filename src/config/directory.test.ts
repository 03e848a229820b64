import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { directoryOf, parseConfig } from './index.js'

const HASH_A = 'a'.repeat(64)
const HASH_B = 'b'.repeat(64)

const config = parseConfig(
  [
    'policy: p',
    'identities:',
    '  humans:',
    `    - { email: Alice@Example.com, name: Alice, groups: [oncall, dba], token_sha256: [${HASH_A}] }`,
    '    - { email: bob@example.com }',
    '  agents:',
    `    - { id: deploy-bot, owner: carol@example.com, labels: { team: platform }, token_sha256: [${HASH_B.toUpperCase()}] }`,
    '  groups:',
    '    dba: [alice@example.com, Bob@example.com]',
    '    security: [erin@example.com]',
    '  admins: [carol@example.com]',
    '  auditors: [dave@example.com, alice@example.com]',
    'targets:',
    '  - { name: prod-db, kind: sql, labels: { env: prod } }',
  ].join('\n'),
  { baseDir: '/srv' },
)

describe('the config directory', () => {
  const directory = directoryOf(config)

  it('finds a human by email in any case, with groups merged from both places', () => {
    assert.deepEqual(directory.human('ALICE@example.com'), { type: 'human', email: 'alice@example.com', name: 'Alice', groups: ['dba', 'oncall'], admin: false, auditor: true })
    assert.deepEqual(directory.human('bob@example.com')?.groups, ['dba'])
  })

  it('knows humans named only in a group or a role', () => {
    assert.deepEqual(directory.human('erin@example.com'), { type: 'human', email: 'erin@example.com', groups: ['security'], admin: false, auditor: false })
    assert.deepEqual(directory.human('carol@example.com'), { type: 'human', email: 'carol@example.com', groups: [], admin: true, auditor: false })
    assert.equal(directory.human('dave@example.com')?.auditor, true)
  })

  it('does not know a human the config never names', () => {
    assert.equal(directory.human('mallory@example.com'), undefined)
  })

  it('finds agents by id and targets by name, exactly', () => {
    assert.equal(directory.agent('deploy-bot')?.owner, 'carol@example.com')
    assert.equal(directory.agent('nobody'), undefined)
    assert.equal(directory.target('prod-db')?.labels['env'], 'prod')
    assert.equal(directory.target('prod-bd'), undefined)
  })

  it('maps a token hash to its holder', () => {
    assert.deepEqual(directory.tokenSubject(HASH_A), { type: 'human', email: 'alice@example.com' })
    assert.deepEqual(directory.tokenSubject(HASH_B), { type: 'agent', id: 'deploy-bot' })
    assert.deepEqual(directory.tokenSubject(HASH_B.toUpperCase()), { type: 'agent', id: 'deploy-bot' })
    assert.equal(directory.tokenSubject('c'.repeat(64)), undefined)
  })

  it('is built once per config and cannot be changed', () => {
    assert.equal(directoryOf(config), directory)
    assert.ok(Object.isFrozen(directory.human('alice@example.com')?.groups))
  })
})
