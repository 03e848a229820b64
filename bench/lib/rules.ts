import { stringify } from 'yaml'
import { Random } from './random.js'
import { TABLE_FAMILIES, TABLES_PER_FAMILY, TEAMS, tableName } from './workload.js'

/**
 * A generated policy in two languages: Countersign's YAML + CEL, and the same rules as Cedar
 * policies. Each condition is written twice by hand, so both sides read the same information:
 * CEL reads the analyzer's facts as they are; Cedar reads the flattened sets that `cedarContext`
 * computes from the same facts (see cedar.ts for the exact correspondence).
 */
export interface GeneratedPolicy {
  readonly yaml: string
  /** Cedar policy text by policy id (= the Countersign rule id, also set as `@id`). */
  readonly cedar: Readonly<Record<string, string>>
  /** Ids of review rules: a Cedar `permit` that came from one means review, not allow. */
  readonly reviewIds: ReadonlySet<string>
  readonly defaultEffect: Effect
}

type Effect = 'allow' | 'deny' | 'review'
type Kind = 'sql' | 'shell'

/** One condition in both languages. */
interface Condition {
  readonly cel: string
  readonly cedar: string
}

interface Template {
  readonly name: string
  readonly kind: Kind | undefined
  readonly effects: readonly (readonly [number, Effect])[]
  readonly make: (random: Random) => Condition | undefined
}

const q = (text: string): string => JSON.stringify(text)
const list = (items: readonly string[]): string => `[${items.map(q).join(', ')}]`
const both = (cel: string, cedar: string): Condition => ({ cel, cedar })

const STATEMENT_TYPES = ['insert', 'update', 'delete', 'truncate', 'create', 'alter', 'drop', 'grant', 'revoke', 'copy', 'merge'] as const
const UNBOUNDED_TYPES = ['update', 'delete', 'merge'] as const
const DROP_OBJECTS = ['database', 'table', 'schema', 'index'] as const
const RISKY_FUNCTIONS = ['pg_terminate_backend', 'set_config', 'pg_cancel_backend', 'lo_export', 'dblink_exec', 'setval'] as const
const SAFE_PROGRAMS = ['ls', 'cat', 'grep', 'tail', 'head', 'df', 'du', 'ps', 'awk', 'uptime', 'ssh', 'find'] as const
const RISKY_PROGRAMS = ['kubectl', 'docker', 'iptables', 'chmod', 'psql', 'aws', 'git', 'npm', 'kill', 'ssh', 'tar'] as const
const REASON_WORDS = ['ticket', 'incident', 'migration', 'hotfix', 'backup', 'cleanup'] as const

const table = (random: Random): string => tableName(random.pick(TABLE_FAMILIES), random.int(TABLES_PER_FAMILY))

const SQL_TEMPLATES: readonly Template[] = [
  {
    name: 'read-only',
    kind: 'sql',
    effects: [[1, 'allow']],
    make: () => both('sql.read_only', 'context.sql.read_only'),
  },
  {
    name: 'narrow-read',
    kind: 'sql',
    effects: [[1, 'allow']],
    make: (r) => {
      const n = 1 + r.int(3)
      return both(`sql.read_only && sql.tables.size() <= ${n}`, `context.sql.read_only && context.sql.table_count <= ${n}`)
    },
  },
  {
    name: 'sensitive-table',
    kind: 'sql',
    effects: [[3, 'review'], [1, 'deny']],
    make: (r) => {
      if (r.chance(0.5)) {
        const t = table(r)
        return both(`sql.tables.exists(t, t == ${q(t)})`, `context.sql.tables.contains(${q(t)})`)
      }
      const ts = Array.from({ length: 2 + r.int(3) }, () => table(r))
      return both(`sql.tables.exists(t, t in ${list(ts)})`, `context.sql.tables.containsAny(${list(ts)})`)
    },
  },
  {
    name: 'unbounded-write',
    kind: 'sql',
    effects: [[3, 'review'], [1, 'deny']],
    make: (r) => {
      const types = r.some(UNBOUNDED_TYPES, 1 + r.int(2))
      const cel = types.length === 1 ? `s.type == ${q(types[0]!)}` : `s.type in ${list(types)}`
      return both(`sql.statements.exists(s, ${cel} && !s.has_where)`, `context.sql.unbounded.containsAny(${list(types)})`)
    },
  },
  {
    name: 'drop-object',
    kind: 'sql',
    effects: [[1, 'review'], [2, 'deny']],
    make: (r) => {
      const object = r.pick(DROP_OBJECTS)
      return both(`sql.statements.exists(s, s.type == "drop" && s.object == ${q(object)})`, `context.sql.type_objects.contains(${q(`drop:${object}`)})`)
    },
  },
  {
    name: 'ddl',
    kind: 'sql',
    effects: [[1, 'review']],
    make: (r) => {
      if (r.chance(0.5)) return both('sql.ddl', 'context.sql.ddl')
      const word = r.pick(REASON_WORDS)
      return both(`sql.ddl && !context.reason.contains(${q(word)})`, `context.sql.ddl && !(context.reason like ${q(`*${word}*`)})`)
    },
  },
  {
    name: 'dcl',
    kind: 'sql',
    effects: [[2, 'review'], [1, 'deny']],
    make: (r) =>
      r.chance(0.6) ? both('sql.dcl', 'context.sql.dcl') : both('context.model.startsWith("gpt") && sql.dcl', 'context.model like "gpt*" && context.sql.dcl'),
  },
  {
    name: 'writes-table',
    kind: 'sql',
    effects: [[3, 'review'], [1, 'deny']],
    make: (r) => {
      const t = table(r)
      return both(`sql.statements.exists(s, ${q(t)} in s.targets)`, `context.sql.written.contains(${q(t)})`)
    },
  },
  {
    name: 'risky-function',
    kind: 'sql',
    effects: [[2, 'review'], [1, 'deny']],
    make: (r) => {
      const fs = r.some(RISKY_FUNCTIONS, 1 + r.int(3))
      return both(`sql.functions.exists(f, f in ${list(fs)})`, `context.sql.functions.containsAny(${list(fs)})`)
    },
  },
  {
    name: 'statement-type',
    kind: 'sql',
    effects: [[2, 'review'], [1, 'deny']],
    make: (r) => {
      const type = r.pick(STATEMENT_TYPES)
      return both(`sql.statements.exists(s, s.type == ${q(type)})`, `context.sql.types.contains(${q(type)})`)
    },
  },
  {
    name: 'many-statements',
    kind: 'sql',
    effects: [[1, 'review']],
    make: (r) => {
      const n = 2 + r.int(3)
      return both(`sql.count > ${n}`, `context.sql.count > ${n}`)
    },
  },
  {
    name: 'parse-error',
    kind: 'sql',
    effects: [[1, 'review'], [1, 'deny']],
    make: () => both('sql.parse_error != ""', 'context.sql.parse_error != ""'),
  },
  {
    name: 'insert-returning',
    kind: 'sql',
    effects: [[1, 'allow']],
    make: () =>
      both(
        'sql.statements.exists(s, s.returning) && sql.statements.all(s, s.type == "insert")',
        'context.sql.returning && ["insert"].containsAll(context.sql.types)',
      ),
  },
  {
    name: 'team-read',
    kind: 'sql',
    effects: [[1, 'allow']],
    make: (r) => {
      const team = r.pick(TEAMS)
      return both(`target.labels.team == ${q(team)} && sql.read_only`, `context.target.labels.team == ${q(team)} && context.sql.read_only`)
    },
  },
  {
    name: 'ticketed-update',
    kind: 'sql',
    effects: [[1, 'allow']],
    make: (r) => {
      const word = r.pick(REASON_WORDS)
      return both(
        `sql.count > 0 && sql.statements.all(s, s.type == "update" && s.has_where) && context.reason.contains(${q(word)})`,
        `context.sql.count > 0 && ["update"].containsAll(context.sql.types) && context.sql.unbounded.isEmpty() && context.reason like ${q(`*${word}*`)}`,
      )
    },
  },
  {
    name: 'untrusted-write',
    kind: 'sql',
    effects: [[1, 'deny'], [1, 'review']],
    make: () => both('agent.labels.trust == "low" && !sql.read_only', 'context.agent.labels.trust == "low" && !context.sql.read_only'),
  },
]

const SHELL_TEMPLATES: readonly Template[] = [
  {
    name: 'safe-programs',
    kind: 'shell',
    effects: [[1, 'allow']],
    make: (r) => {
      const ps = r.some(SAFE_PROGRAMS, 5 + r.int(6))
      return both(
        `shell.parse_error == "" && shell.programs.all(p, p in ${list(ps)})`,
        `context.shell.parse_error == "" && ${list(ps)}.containsAll(context.shell.programs)`,
      )
    },
  },
  {
    name: 'recursive-delete',
    kind: 'shell',
    effects: [[1, 'deny'], [3, 'review']],
    make: (r) => {
      const program = r.chance(0.8) ? 'rm' : 'chmod'
      const flags = program === 'rm' ? ['-rf', '-fr', '-r', '-R'] : ['-R']
      return both(
        `shell.commands.exists(c, c.program == ${q(program)} && c.args.exists(a, a in ${list(flags)}))`,
        `context.shell.program_args.containsAny(${list(flags.map((flag) => `${program}:${flag}`))})`,
      )
    },
  },
  {
    name: 'sudo',
    kind: 'shell',
    effects: [[1, 'review']],
    make: () => both('shell.commands.exists(c, c.sudo)', 'context.shell.sudo'),
  },
  {
    name: 'sudo-program',
    kind: 'shell',
    effects: [[4, 'review'], [1, 'deny']],
    make: (r) => {
      const program = r.pick(['systemctl', 'psql', 'rm', 'iptables'])
      return both(`shell.commands.exists(c, c.sudo && c.program == ${q(program)})`, `context.shell.sudo_programs.contains(${q(program)})`)
    },
  },
  {
    name: 'pipe-to-shell',
    kind: 'shell',
    effects: [[3, 'deny'], [1, 'review']],
    make: () =>
      both(
        'shell.programs.exists(p, p in ["curl", "wget"]) && shell.programs.exists(p, p in ["sh", "bash"])',
        'context.shell.programs.containsAny(["curl", "wget"]) && context.shell.programs.containsAny(["sh", "bash"])',
      ),
  },
  {
    name: 'risky-program',
    kind: 'shell',
    effects: [[3, 'review'], [1, 'deny']],
    make: (r) => {
      const program = r.pick(RISKY_PROGRAMS)
      if (r.chance(0.5)) return both(`${q(program)} in shell.programs`, `context.shell.programs.contains(${q(program)})`)
      const team = r.pick(TEAMS)
      return both(
        `target.labels.team == ${q(team)} && shell.programs.exists(p, p == ${q(program)})`,
        `context.target.labels.team == ${q(team)} && context.shell.programs.contains(${q(program)})`,
      )
    },
  },
  {
    name: 'writes-file',
    kind: 'shell',
    effects: [[1, 'deny'], [1, 'review']],
    make: (r) => {
      const file = r.chance(0.5) ? '/etc/hosts' : `/etc/app${r.int(40)}/flag`
      return both(`shell.redirects.exists(x, x.target == ${q(file)})`, `context.shell.redirect_targets.contains(${q(file)})`)
    },
  },
  {
    name: 'substitution',
    kind: 'shell',
    effects: [[1, 'review']],
    make: () => both('shell.has_substitution', 'context.shell.has_substitution'),
  },
  {
    name: 'long-pipeline',
    kind: 'shell',
    effects: [[1, 'review']],
    make: (r) => {
      const n = 2 + r.int(3)
      return both(`shell.commands.size() > ${n}`, `context.shell.command_count > ${n}`)
    },
  },
  {
    name: 'parse-error',
    kind: 'shell',
    effects: [[1, 'deny'], [1, 'review']],
    make: () => both('shell.parse_error != ""', 'context.shell.parse_error != ""'),
  },
  {
    name: 'service-restart',
    kind: 'shell',
    effects: [[2, 'review'], [1, 'allow']],
    make: (r) => {
      const verb = r.pick(['restart', 'reload', 'status'])
      const word = r.pick(REASON_WORDS)
      return r.chance(0.5)
        ? both(`shell.commands.exists(c, c.program == "systemctl" && ${q(verb)} in c.args)`, `context.shell.program_args.contains(${q(`systemctl:${verb}`)})`)
        : both(
            `shell.commands.exists(c, c.program == "systemctl" && ${q(verb)} in c.args) && context.reason.contains(${q(word)})`,
            `context.shell.program_args.contains(${q(`systemctl:${verb}`)}) && context.reason like ${q(`*${word}*`)}`,
          )
    },
  },
  {
    name: 'kubectl-namespace',
    kind: 'shell',
    effects: [[2, 'review'], [1, 'allow']],
    make: (r) => {
      const ns = `team${r.int(6)}`
      return both(`shell.commands.exists(c, c.program == "kubectl" && ${q(ns)} in c.args)`, `context.shell.program_args.contains(${q(`kubectl:${ns}`)})`)
    },
  },
]

const GENERIC_TEMPLATES: readonly Template[] = [
  {
    name: 'low-trust',
    kind: undefined,
    effects: [[1, 'review']],
    make: () => both('agent.labels.trust == "low"', 'context.agent.labels.trust == "low"'),
  },
  {
    name: 'no-reason',
    kind: undefined,
    effects: [[1, 'review']],
    make: () => both('context.reason == ""', 'context.reason == ""'),
  },
  {
    name: 'model',
    kind: undefined,
    effects: [[1, 'review'], [1, 'deny']],
    make: (r) => {
      const model = r.pick(['llama-3-70b', 'gpt-4o'])
      return both(`context.model == ${q(model)}`, `context.model == ${q(model)}`)
    },
  },
  {
    name: 'team-trust',
    kind: undefined,
    effects: [[1, 'review']],
    make: (r) => {
      const team = r.pick(TEAMS)
      return both(`target.labels.team == ${q(team)} && agent.labels.trust != "high"`, `context.target.labels.team == ${q(team)} && context.agent.labels.trust != "high"`)
    },
  },
  {
    name: 'match-only',
    kind: undefined,
    effects: [[1, 'deny'], [2, 'review']],
    make: () => undefined,
  },
]

const TARGET_GLOBS: Readonly<Record<Kind | 'any', readonly (string | string[])[]>> = {
  sql: ['prod-db-*', 'staging-db-*', 'analytics-db', '*-db-2', ['prod-db-1', 'prod-db-3'], 'prod-*'],
  shell: ['prod-web-*', 'bastion', 'staging-*', '*-batch', 'dev-*', ['prod-web-1', 'bastion']],
  any: ['prod-*', 'staging-*', 'bastion', '*-2'],
}
const AGENT_GLOBS: readonly (string | string[])[] = ['ci-*', 'agent-*', 'agent-intern', 'script-*', ['ci-deploy', 'ci-migrate'], 'agent-claude-*']
const ENVS: readonly (readonly [number, string | string[]])[] = [[5, 'prod'], [3, 'staging'], [1, ['prod', 'staging']], [1, 'dev']]
const GROUPS = ['group:dba', 'group:sre', 'group:security', 'group:oncall', 'user:carol@example.com'] as const

interface MatchSpec {
  kind?: Kind
  env?: string | string[]
  target?: string | string[]
  agent?: string | string[]
}

const asList = (value: string | string[]): string[] => (typeof value === 'string' ? [value] : value)

/** The match keys as Cedar: kind, exact target and exact agent in the scope; globs and env in `when`. */
function cedarPolicy(id: string, effect: Effect, match: MatchSpec, condition: Condition | undefined): string {
  const scope = { principal: 'principal', action: 'action', resource: 'resource' }
  const clauses: string[] = []
  if (match.kind) scope.action = `action == Action::${q(match.kind)}`
  if (match.env) {
    const envs = asList(match.env)
    clauses.push(envs.length === 1 ? `context.target.env == ${q(envs[0]!)}` : `${list(envs)}.contains(context.target.env)`)
  }
  const glob = (field: 'target' | 'agent', patterns: string[]): void => {
    const single = patterns[0]
    if (patterns.length === 1 && single !== undefined && !single.includes('*')) {
      if (field === 'target') scope.resource = `resource == Target::${q(single)}`
      else scope.principal = `principal == Agent::${q(single)}`
      return
    }
    const attr = field === 'target' ? 'context.target.name' : 'context.agent.id'
    // Cedar's `like` has `*` (any run) like our globs; the generator never uses `?`.
    const tests = patterns.map((pattern) => `${attr} like ${q(pattern)}`)
    clauses.push(tests.length === 1 ? tests[0]! : `(${tests.join(' || ')})`)
  }
  if (match.target) glob('target', asList(match.target))
  if (match.agent) glob('agent', asList(match.agent))
  if (condition) clauses.push(`(${condition.cedar})`)
  const when = clauses.length > 0 ? `\nwhen { ${clauses.join(' && ')} }` : ''
  return `@id(${q(id)})\n${effect === 'deny' ? 'forbid' : 'permit'} (${scope.principal}, ${scope.action}, ${scope.resource})${when};`
}

/** A deterministic policy of `count` rules: about 45% sql, 45% shell, 10% for any kind. */
export function generatePolicy(count: number, seed = 7): GeneratedPolicy {
  const random = new Random(seed)
  const rules: Record<string, unknown>[] = []
  const cedar: Record<string, string> = {}
  const reviewIds = new Set<string>()
  for (let index = 0; index < count; index++) {
    const family = random.weighted([
      [45, SQL_TEMPLATES],
      [45, SHELL_TEMPLATES],
      [10, GENERIC_TEMPLATES],
    ] as const)
    const template = random.pick(family)
    const effect = random.weighted(template.effects)
    const condition = template.make(random)
    const match: MatchSpec = {}
    if (template.kind) match.kind = template.kind
    if (random.chance(condition ? 0.45 : 1)) match.env = random.weighted(ENVS)
    if (random.chance(condition ? 0.25 : 0.6)) match.target = random.pick(TARGET_GLOBS[template.kind ?? 'any'])
    if (random.chance(condition ? 0.25 : 0.6)) match.agent = random.pick(AGENT_GLOBS)
    const id = `${template.kind ?? 'any'}-${template.name}-${String(index).padStart(3, '0')}`
    const rule: Record<string, unknown> = { id, description: `${effect} ${template.name} (generated)`, match }
    if (condition) rule['when'] = condition.cel
    rule['effect'] = effect
    if (effect === 'review') {
      reviewIds.add(id)
      rule['review'] = { approvers: random.some(GROUPS, 1 + random.int(2)), min_approvals: 1 + random.int(2), timeout: random.pick(['30m', '1h', '4h']) }
    }
    if (effect === 'deny') rule['message'] = `${template.name} is not allowed through agents here.`
    rules.push(rule)
    cedar[id] = cedarPolicy(id, effect, match, condition)
  }
  const defaultEffect: Effect = 'review'
  const yaml = stringify({ version: 1, default: defaultEffect, default_review: { approvers: ['group:oncall'] }, rules }, { lineWidth: 0, aliasDuplicateObjects: false })
  return { yaml, cedar, reviewIds, defaultEffect }
}
