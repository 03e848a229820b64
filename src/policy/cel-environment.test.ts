import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadAnalyzers } from '../analyzers/index.js'
import { CelEnvironment } from './cel-environment.js'

describe('converting facts to CEL values', async () => {
  const cel = new CelEnvironment((await loadAnalyzers()).factKinds)
  const statement = (fields: object) => (cel.convert('SqlFacts', { statements: [fields] }) as { statements: Record<string, unknown>[] }).statements[0]!

  it('takes scalars of their type as they are, ints as BigInt, and gives missing fields their empty value', () => {
    const facts = cel.convert('SqlFacts', { read_only: true, count: 3, parse_error: 'x' }) as Record<string, unknown>
    assert.deepEqual([facts['read_only'], facts['count'], facts['parse_error'], facts['ddl'], facts['tables']], [true, 3n, 'x', false, []])
    for (const [rows, expected] of [[0, 0n], [1023, 1023n], [1024, 1024n], [2 ** 40, 2n ** 40n], [-1, -1n], [-0, 0n]] as const) {
      assert.equal(statement({ estimated_rows: rows })['estimated_rows'], expected, String(rows))
    }
  })

  it('refuses a value of the wrong type, so a mistyped fact fails the decision', () => {
    for (const fields of [{ type: 1 }, { has_where: 'yes' }, { estimated_rows: 1.5 }, { estimated_rows: '3' }, { estimated_rows: Number.NaN }, { targets: 'users' }, { tables: [1] }]) {
      assert.throws(() => statement(fields), TypeError, JSON.stringify(fields))
    }
    assert.throws(() => cel.convert('SqlFacts', { read_only: null }), TypeError)
  })
})
