import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { loadAnalyzers, type Analyzers } from '../analyzers/index.js'
import type { ActionKind } from '../action/index.js'
import { CountersignError } from '../errors/index.js'
import { requirement } from '../lifecycle/test-support.js'
import { checkGrantRequest, grantMismatch, grantShapeOf, pathTemplate, type Grant, type GrantCandidate } from './index.js'

const NOW = new Date('2026-01-05T12:00:00.000Z')
const HOUR = 3_600_000
const dba = requirement('scoped-writes', ['group:dba'], 1, { grants: { max_ttl_ms: HOUR, max_uses: 20 } })

let analyzers: Analyzers
before(async () => {
  analyzers = await loadAnalyzers()
})

function facts(kind: ActionKind, payload: Record<string, unknown>, estimatedRows?: readonly number[]): unknown {
  return analyzers.analyze(kind, payload, estimatedRows ? { estimatedRows } : undefined)?.facts
}

/** A live grant made from an approved action of `kind` with `payload`, by bob for rule scoped-writes. */
function grantFrom(kind: ActionKind, payload: Record<string, unknown>, extra: Partial<Grant> = {}, estimatedRows?: readonly number[]): Grant {
  const shape = grantShapeOf(kind, facts(kind, payload, estimatedRows))
  assert.ok(shape, `no shape for ${JSON.stringify(payload)}`)
  return {
    id: 'grt_test',
    actionId: 'act_1',
    submittedBy: 'agent:deploy-bot',
    target: 'prod-db',
    kind,
    shape,
    rules: ['scoped-writes'],
    policyVersion: 'v1',
    reviewers: [{ email: 'bob@example.com', requirements: ['scoped-writes'] }],
    createdAt: NOW,
    expiresAt: new Date(NOW.getTime() + HOUR),
    maxUses: 20,
    uses: 0,
    revokedAt: null,
    revokedBy: null,
    ...extra,
  }
}

function candidate(kind: ActionKind, payload: Record<string, unknown>, extra: Partial<GrantCandidate> = {}, estimatedRows?: readonly number[]): GrantCandidate {
  return { submittedBy: 'agent:deploy-bot', target: 'prod-db', kind, facts: facts(kind, payload, estimatedRows), policyVersion: 'v1', requirements: [dba], conflicted: ['carol@example.com'], ...extra }
}

describe('what a grant admits, by shape', () => {
  // Each row: the approved payload, a later one, and whether the grant covers it (a pattern of the refusal otherwise).
  const table: readonly { name: string; kind: ActionKind; approved: Record<string, unknown>; later: Record<string, unknown>; rows?: [readonly number[], readonly number[]]; refused?: RegExp }[] = [
    { name: 'sql: the same statement with another value', kind: 'sql', approved: { sql: 'UPDATE users SET plan = 2 WHERE id = 42' }, later: { sql: 'UPDATE users SET plan = 3 WHERE id = 43' } },
    { name: 'sql: a new table', kind: 'sql', approved: { sql: 'UPDATE users SET plan = 2 WHERE id = 42' }, later: { sql: 'UPDATE invoices SET plan = 2 WHERE id = 42' }, refused: /tables invoices/ },
    { name: 'sql: a new statement type', kind: 'sql', approved: { sql: 'UPDATE users SET plan = 2 WHERE id = 42' }, later: { sql: 'DELETE FROM users WHERE id = 42' }, refused: /statement types delete/ },
    { name: 'sql: the same type without WHERE', kind: 'sql', approved: { sql: 'UPDATE users SET plan = 2 WHERE id = 42' }, later: { sql: 'UPDATE users SET plan = 2' }, refused: /update without WHERE/ },
    { name: 'sql: a subset of the approved statements', kind: 'sql', approved: { sql: 'UPDATE users SET plan = 2 WHERE id = 1; INSERT INTO audit_notes (note) VALUES (1)' }, later: { sql: 'UPDATE users SET plan = 5 WHERE id = 9' } },
    { name: 'sql: fewer estimated rows', kind: 'sql', approved: { sql: 'UPDATE users SET plan = 2 WHERE id < 100' }, later: { sql: 'UPDATE users SET plan = 2 WHERE id < 10' }, rows: [[100], [10]] },
    { name: 'sql: more estimated rows than approved', kind: 'sql', approved: { sql: 'UPDATE users SET plan = 2 WHERE id < 100' }, later: { sql: 'UPDATE users SET plan = 2 WHERE id < 1000' }, rows: [[100], [1000]], refused: /estimated 1000 rows, more than the 100/ },
    { name: 'sql: rows unknown under a known bound', kind: 'sql', approved: { sql: 'UPDATE users SET plan = 2 WHERE id < 100' }, later: { sql: 'UPDATE users SET plan = 2 WHERE id < 10' }, rows: [[100], [-1]], refused: /cannot be estimated/ },
    { name: 'shell: the same program and flags, another operand', kind: 'shell', approved: { command: 'systemctl restart --no-block api' }, later: { command: 'systemctl restart --no-block worker' } },
    { name: 'shell: another flag', kind: 'shell', approved: { command: 'systemctl restart --no-block api' }, later: { command: 'systemctl restart --force api' }, refused: /not the approved ones/ },
    { name: 'shell: another program', kind: 'shell', approved: { command: 'systemctl restart api' }, later: { command: 'rm restart api' }, refused: /not the approved ones/ },
    { name: 'shell: a second command', kind: 'shell', approved: { command: 'systemctl restart api' }, later: { command: 'systemctl restart api; reboot' }, refused: /not the approved ones/ },
    { name: 'shell: sudo added', kind: 'shell', approved: { command: 'systemctl restart api' }, later: { command: 'sudo systemctl restart api' }, refused: /sudo/ },
    { name: 'shell: a redirection added', kind: 'shell', approved: { command: 'systemctl restart api' }, later: { command: 'systemctl restart api > /etc/passwd' }, refused: /redirections/ },
    { name: 'http: the same route, another id', kind: 'http', approved: { method: 'POST', url: 'https://api.example.com/v1/orders/1234/refund' }, later: { method: 'POST', url: 'https://api.example.com/v1/orders/5678/refund' } },
    { name: 'http: another method', kind: 'http', approved: { method: 'POST', url: 'https://api.example.com/v1/orders/1234/refund' }, later: { method: 'DELETE', url: 'https://api.example.com/v1/orders/1234/refund' }, refused: /method DELETE/ },
    { name: 'http: another path template', kind: 'http', approved: { method: 'POST', url: 'https://api.example.com/v1/orders/1234/refund' }, later: { method: 'POST', url: 'https://api.example.com/v1/orders/1234/cancel' }, refused: /path/ },
    { name: 'http: another host', kind: 'http', approved: { method: 'POST', url: 'https://api.example.com/v1/orders/1234/refund' }, later: { method: 'POST', url: 'https://evil.example.net/v1/orders/1234/refund' }, refused: /is not https:\/\/api.example.com/ },
    { name: 'mcp: the same tool and argument keys', kind: 'mcp', approved: { server: 'github', tool: 'create_issue', arguments: { repo: 'a', title: 'x' } }, later: { server: 'github', tool: 'create_issue', arguments: { repo: 'b', title: 'y' } } },
    { name: 'mcp: another tool', kind: 'mcp', approved: { server: 'github', tool: 'create_issue', arguments: { repo: 'a' } }, later: { server: 'github', tool: 'delete_repo', arguments: { repo: 'a' } }, refused: /tool github\/delete_repo/ },
    { name: 'mcp: a new argument key', kind: 'mcp', approved: { server: 'github', tool: 'create_issue', arguments: { repo: 'a' } }, later: { server: 'github', tool: 'create_issue', arguments: { repo: 'a', assignee: 'x' } }, refused: /argument keys/ },
  ]
  for (const row of table) {
    it(`${row.refused ? 'refuses' : 'admits'} ${row.name}`, () => {
      const grant = grantFrom(row.kind, row.approved, {}, row.rows?.[0])
      const verdict = grantMismatch(grant, candidate(row.kind, row.later, {}, row.rows?.[1]), NOW)
      if (row.refused) assert.match(verdict ?? 'admitted', row.refused)
      else assert.equal(verdict, undefined)
    })
  }
})

describe('what a grant never covers', () => {
  const approved = { sql: 'UPDATE users SET plan = 2 WHERE id = 42' }
  const later = { sql: 'UPDATE users SET plan = 3 WHERE id = 7' }
  const cases: readonly { name: string; grant?: Partial<Grant>; candidate?: Partial<GrantCandidate>; at?: Date; refused: RegExp }[] = [
    { name: 'another agent', candidate: { submittedBy: 'agent:analytics-agent' }, refused: /deploy-bot/ },
    { name: 'another target', candidate: { target: 'staging-db' }, refused: /on prod-db/ },
    { name: 'a changed policy', candidate: { policyVersion: 'v2' }, refused: /policy changed/ },
    { name: 'review under another rule too', candidate: { requirements: [dba, requirement('security', ['group:security'])] }, refused: /needs review under scoped-writes, security/ },
    { name: 'an action whose requester is the granter', candidate: { conflicted: ['bob@example.com'] }, refused: /requester/ },
    { name: 'a revoked grant', grant: { revokedAt: NOW, revokedBy: 'human:carol@example.com' }, refused: /revoked/ },
    { name: 'a used-up grant', grant: { uses: 20 }, refused: /used up/ },
    { name: 'the moment it expires', at: new Date(NOW.getTime() + HOUR), refused: /expired/ },
    { name: 'a grant whose reviewers fall short of min_approvals', candidate: { requirements: [{ ...dba, min_approvals: 2 }] }, refused: /do not meet rule scoped-writes/ },
  ]
  for (const row of cases) {
    it(`refuses ${row.name}`, () => {
      assert.match(grantMismatch(grantFrom('sql', approved, row.grant), candidate('sql', later, row.candidate), row.at ?? NOW) ?? 'admitted', row.refused)
    })
  }
  it('admits up to the last millisecond before expiry', () => {
    assert.equal(grantMismatch(grantFrom('sql', approved), candidate('sql', later), new Date(NOW.getTime() + HOUR - 1)), undefined)
  })
})

describe('asking for a grant', () => {
  const sqlFacts = () => facts('sql', { sql: 'UPDATE users SET plan = 2 WHERE id = 42' })
  it('accepts a request within the rule\'s max_ttl and max_uses', () => {
    assert.deepEqual(checkGrantRequest({ ttl_ms: HOUR, max_uses: 20 }, [dba], 'sql', sqlFacts()), { ttl_ms: HOUR, max_uses: 20 })
  })
  const refusals: readonly { name: string; request: { ttl_ms: number; max_uses: number }; requirements?: readonly ReturnType<typeof requirement>[]; kind?: string; facts?: unknown; message: RegExp }[] = [
    { name: 'a longer life than max_ttl', request: { ttl_ms: HOUR + 1, max_uses: 1 }, message: /at most 60 minutes/ },
    { name: 'more uses than max_uses', request: { ttl_ms: HOUR, max_uses: 21 }, message: /at most 20 uses/ },
    { name: 'a rule without review.grants', request: { ttl_ms: 60_000, max_uses: 1 }, requirements: [dba, requirement('security', ['group:security'])], message: /rule security has no review.grants/ },
    { name: 'a kind without a shape', request: { ttl_ms: 60_000, max_uses: 1 }, kind: 'terraform', facts: {}, message: /not available for terraform/ },
    { name: 'a shell command with a substitution', request: { ttl_ms: 60_000, max_uses: 1 }, kind: 'shell', facts: undefined, message: /run time/ },
  ]
  for (const row of refusals) {
    it(`refuses ${row.name}`, () => {
      const shellFacts = row.kind === 'shell' ? facts('shell', { command: 'rm $(cat list)' }) : undefined
      assert.throws(
        () => checkGrantRequest(row.request, row.requirements ?? [dba], row.kind ?? 'sql', row.kind === 'shell' ? shellFacts : row.facts ?? sqlFacts()),
        (error: unknown) => error instanceof CountersignError && error.code === 'INVALID' && row.message.test(error.message),
      )
    })
  }
})

describe('path templates', () => {
  it('keeps names and replaces ids', () => {
    assert.equal(pathTemplate('/repos/acme/api/issues/42'), '/repos/acme/api/issues/{id}')
    assert.equal(pathTemplate('/v1/users/3f2b8c1e-9a4d-4c1b-8e2f-0a1b2c3d4e5f/keys'), '/v1/users/{id}/keys')
    assert.equal(pathTemplate('/v1/admin/delete'), '/v1/admin/delete')
  })
})
