import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { parse } from 'yaml'
import { generatePolicy } from '../../bench/lib/rules.js'
import { loadAnalyzers, type Analyzers } from '../analyzers/index.js'
import { compileCel } from './cel-compiler.js'
import { CelEnvironment } from './cel-environment.js'

let analyzers: Analyzers
let cel: CelEnvironment
before(async () => {
  analyzers = await loadAnalyzers()
  cel = new CelEnvironment(analyzers.factKinds)
})

const SQL = [
  'SELECT * FROM public.users WHERE id = 1',
  'DELETE FROM users',
  'UPDATE orders SET a = 1 WHERE id = 2; DROP TABLE audit',
  'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
  'GRANT ALL ON users TO app',
  'DROP DATABASE prod',
  'SELEC 1',
  'INSERT INTO "Événements" VALUES (1) RETURNING id',
]
const SHELL = ['ls -la', 'sudo rm -rf /var/lib/x', 'curl -s x | sh', 'cat <<EOF\nrm -rf /\nEOF', 'echo $(whoami) > /tmp/o', 'if then', 'find . -exec rm {} \\;']
const STRINGS = ['""', '"a"', '"prod"', '"delete"', '"users"', '"rm"', '"é😀"', '"-rf"', '"/tmp/o"']

/** Random well-typed boolean expressions over the facts, labels and context, nested up to `depth`. */
function str(scope: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...STRINGS),
    fc.constantFrom('target.env', 'target.labels.team', 'target.labels["env"]', 'context.reason', 'sql.parse_error', 'sql.tables[0]', 'shell.programs[1]'),
    ...(scope.includes('s') ? [fc.constantFrom('s.type', 's.object', 's.tables[0]')] : []),
    ...(scope.includes('c') ? [fc.constantFrom('c.program', 'c.path', 'c.args[0]')] : []),
    ...(scope.includes('x') ? [fc.constant('x')] : []),
  )
}

function int(scope: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('0', '1', '2', '-1'),
    fc.constantFrom('sql.count', 'size(sql.tables)', 'sql.tables.size()', 'size(context.reason)', 'size(target.labels)'),
    str(scope).map((s) => `size(${s})`),
  )
}

function bool(scope: readonly string[], depth: number): fc.Arbitrary<string> {
  const leaves = [
    fc.constantFrom('true', 'false', 'sql.read_only', 'sql.ddl', 'sql.dcl', 'shell.has_substitution', '"team" in target.labels'),
    fc.tuple(str(scope), fc.constantFrom('==', '!=', '<', '>='), str(scope)).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(int(scope), fc.constantFrom('==', '!=', '<', '<=', '>', '>='), int(scope)).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(str(scope), fc.constantFrom('startsWith', 'endsWith', 'contains'), str(scope)).map(([a, m, b]) => `${a}.${m}(${b})`),
    fc.tuple(str(scope), fc.constantFrom('"^d"', '"s$"', '"[0-9]"', '"^$"')).map(([a, re]) => `${a}.matches(${re})`),
    fc.tuple(str(scope), fc.constantFrom('["delete", "update"]', 'sql.tables', 'shell.programs', '["rm"]')).map(([a, l]) => `${a} in ${l}`),
  ]
  if (depth === 0) return fc.oneof(...leaves)
  const inner = bool(scope, depth - 1)
  const statement = fc.oneof(
    fc.constantFrom('s.has_where', 's.returning', 's.read_only', 's.type == "delete"', 's.type in ["delete", "update"] && !s.has_where', 's.tables.exists(t, t == "users")', 's.tables[0] == "users"'),
    bool([...scope, 's'], depth - 1),
  )
  const command = fc.oneof(
    fc.constantFrom('c.sudo', 'c.program == "rm"', 'c.args.exists(a, a.matches("^-[a-z]*r"))', 'c.args[0] == "-rf"'),
    bool([...scope, 'c'], depth - 1),
  )
  return fc.oneof(
    ...leaves,
    inner.map((a) => `!(${a})`),
    fc.tuple(inner, fc.constantFrom('&&', '||'), inner).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    fc.tuple(inner, inner, inner).map(([a, b, c]) => `(${a}) ? (${b}) : (${c})`),
    ...(scope.includes('s') ? [] : [fc.tuple(fc.constantFrom('exists', 'all', 'exists_one'), statement).map(([m, p]) => `sql.statements.${m}(s, ${p})`)]),
    ...(scope.includes('c') ? [] : [fc.tuple(fc.constantFrom('exists', 'all', 'exists_one'), command).map(([m, p]) => `shell.commands.${m}(c, ${p})`)]),
    ...(scope.includes('x')
      ? []
      : [fc.tuple(fc.constantFrom('exists', 'all'), fc.constantFrom('sql.tables', 'shell.programs'), fc.constantFrom('x.startsWith("u")', 'x == "rm"', 'target.labels.team == x', 'size(x) > 3')).map(([m, l, p]) => `${l}.${m}(x, ${p})`)]),
  )
}
const expressions = bool([], 3)

const labelSets: fc.Arbitrary<Record<string, string>> = fc.oneof(fc.constant({}), fc.constant({ env: 'prod' }), fc.constant({ env: 'prod', team: 'users' }), fc.constant({ team: 'rm' }))

describe('compiled CEL conditions', () => {
  it('agree with the interpreter on random expressions, values and errors alike', () => {
    let compiledCount = 0
    fc.assert(
      fc.property(expressions, fc.constantFrom(...SQL), fc.constantFrom(...SHELL), labelSets, fc.constantFrom('', 'prod fix', 'é😀'), fc.constantFrom('sql', 'shell'), (expression, sql, command, labels, reason, kind) => {
        const interpreted = cel.env.parse(expression)
        const compiled = compileCel(cel.env.parse(expression).ast, cel, interpreted)
        if (!interpreted.check().valid) return
        if (!compiled) return
        compiledCount++
        const variables = {
          target: cel.convert('Target', { name: 't', kind: 'sql', labels, env: labels.env ?? '' }),
          context: cel.convert('Context', { reason }),
          sql: kind === 'sql' ? cel.convert('SqlFacts', analyzers.analyze('sql', { sql })?.facts) : cel.emptyVariables['sql'],
          shell: kind === 'shell' ? cel.convert('ShellFacts', analyzers.analyze('shell', { command })?.facts) : cel.emptyVariables['shell'],
        }
        assert.deepEqual(outcome(() => compiled(variables)), outcome(() => interpreted(variables)), expression)
      }),
      { numRuns: Number(process.env.CEL_DIFF_RUNS ?? 3000) },
    )
    assert.ok(compiledCount > 2000, `only ${compiledCount} of the random expressions compiled`)
  })

  it('agree with the interpreter on every condition of the example policies and the policy bench, values and errors alike', () => {
    const files = ['examples/policy.yaml', 'examples/brokered/policy.yaml', 'examples/identity/policy.yaml', 'examples/mcp/policy.yaml']
    const policies = [...files.map((file) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')), ...[7, 1, 2].map((seed) => generatePolicy(200, seed).yaml)]
    const conditions = new Set(policies.flatMap((text) => ((parse(text) as { rules: { when?: string }[] }).rules ?? []).flatMap((rule) => (rule.when ? [rule.when] : []))))
    const empty = Object.fromEntries(cel.factKinds.map((kind) => [kind.name, cel.emptyVariables[kind.name]]))
    let compiledCount = 0
    for (const condition of conditions) {
      const interpreted = cel.env.parse(condition)
      assert.ok(interpreted.check().valid, condition)
      const compiled = compileCel(cel.env.parse(condition).ast, cel, interpreted)
      if (!compiled) continue
      compiledCount++
      for (const [kind, facts] of [...SQL.map((sql) => ['sql', analyzers.analyze('sql', { sql })?.facts] as const), ...SHELL.map((command) => ['shell', analyzers.analyze('shell', { command })?.facts] as const)]) {
        for (const labels of [{}, { env: 'prod', team: 'payments' }, { trust: 'low', team: 'data' }]) {
          for (const reason of ['', 'ticket 12 hotfix', 'é😀']) {
            const variables = {
              ...empty,
              [kind]: cel.convert(kind === 'sql' ? 'SqlFacts' : 'ShellFacts', facts),
              target: cel.convert('Target', { name: 'prod-db-1', kind, labels, env: (labels as { env?: string }).env ?? '' }),
              agent: cel.convert('Agent', { id: 'agent-1', owner: 'carol@example.com', labels }),
              context: cel.convert('Context', { reason, model: reason ? 'gpt-4o' : 'llama-3-70b' }),
            }
            assert.deepEqual(outcome(() => compiled.unchecked(variables)), outcome(() => interpreted(variables)), condition)
          }
        }
      }
    }
    assert.ok(compiledCount > 60, `only ${compiledCount} of ${conditions.size} conditions compiled`)
  })

  it('compiles the common forms of the example policy', () => {
    for (const expression of [
      'sql.read_only',
      'sql.parse_error != ""',
      'sql.statements.exists(s, s.type == "drop" && s.object in ["database", "schema"])',
      'sql.ddl || sql.statements.exists(s, s.type in ["delete", "update", "merge"] && !s.has_where)',
      'shell.commands.exists(c, c.program == "rm" && c.args.exists(a, a.matches("^-[a-zA-Z]*[rR]") || a == "--recursive"))',
      'shell.programs.all(p, p in ["ls", "cat"]) && !shell.commands.exists(c, c.sudo) && shell.redirects.all(r, r.op == "<")',
      'target.labels.team == "data" && agent.owner == "carol@example.com" && context.reason.contains("ticket")',
    ]) {
      assert.ok(compileCel(cel.env.parse(expression).ast, cel, cel.env.parse(expression)), expression)
    }
  })

  it('leaves expressions over dynamic values to the interpreter', () => {
    for (const expression of ['action.payload.sql.startsWith("SELECT")', 'has(target.labels.env)', 'time.now > timestamp("2020-01-01T00:00:00Z")', 'sql.tables.map(t, t.size()).size() > 0']) {
      assert.equal(compileCel(cel.env.parse(expression).ast, cel, cel.env.parse(expression)), undefined, expression)
    }
  })

  it('leaves a missing variable to the interpreter, so CEL decides how its error combines', () => {
    for (const [expression, expected] of [
      ['terraform.deletes == 0', { error: true }],
      ['true || terraform.deletes == 0', { value: true }],
      ['false && terraform.destroys_any', { value: false }],
    ] as const) {
      const interpreted = cel.env.parse(expression)
      interpreted.check()
      const compiled = compileCel(cel.env.parse(expression).ast, cel, interpreted)
      assert.ok(compiled, expression)
      assert.deepEqual(outcome(() => compiled({ sql: cel.emptyVariables['sql'] })), expected, expression)
    }
  })
})

function outcome(run: () => unknown): { value: unknown } | { error: true } {
  try {
    return { value: run() }
  } catch {
    return { error: true }
  }
}
