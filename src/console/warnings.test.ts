import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { analyzeAction, loadAnalyzers } from '../analyzers/index.js'
import { riskFlags } from '../../console/src/warnings.js'

const names = (kind: string, facts: unknown) => riskFlags(kind, facts).map((flag) => flag.name)

describe("the inbox row's risk flags", () => {
  it('reads them from the facts of each kind', () => {
    assert.deepEqual(names('sql', { parse_error: '', statements: [{ type: 'delete', has_where: false }], ddl: false, dcl: false }), ['no WHERE'])
    assert.deepEqual(names('sql', { parse_error: '', statements: [{ type: 'drop' }], ddl: true, dcl: false }), ['destroys', 'DDL'])
    assert.deepEqual(names('sql', { parse_error: 'syntax error at or near "WHERE"', statements: [] }), ['does not parse'])
    assert.deepEqual(names('terraform', { destroys_any: true, data_stores: ['aws_db_instance.main'], public_exposure: ['aws_security_group.web'], unknown_exposure: [], iam_changes: [] }), ['destroys', 'data stores', 'public exposure'])
    assert.deepEqual(names('kubernetes', { parse_error: '', destructive: true, privileged: true, rbac_escalation: false, secrets_access: true }), ['destroys', 'privileged', 'secrets'])
    assert.deepEqual(names('http', { admin: true }), ['admin'])
    assert.deepEqual(names('mcp', { destructive: true }), ['destructive'])
  })

  it('gives none where there are no facts, and never throws on odd ones', () => {
    assert.deepEqual(names('sql', null), [])
    assert.deepEqual(names('custom', { anything: true }), [])
    assert.deepEqual(names('sql', { statements: 'not a list', parse_error: 42 }), [])
    assert.deepEqual(names('sql', { statements: [null, 7, { type: 'update' }] }), ['no WHERE'])
    assert.deepEqual(names('shell', { commands: [null, { sudo: 'yes' }] }), [])
  })

  it("agrees with the shell analyzer's own facts", async () => {
    const analyzers = await loadAnalyzers()
    const analysis = analyzeAction(analyzers, { kind: 'shell', target: 'build-host', payload: { command: 'eval "$STEP" && sudo systemctl restart nginx' } }, undefined)
    assert.deepEqual(names('shell', analysis?.facts), ['dynamic', 'sudo', 'runs code', 'modifies'])
  })
})
