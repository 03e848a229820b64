import { ActionSchema, type Action } from '../../src/action/index.js'
import type { PolicyAgent, PolicyTarget } from '../../src/policy/index.js'
import { Random } from './random.js'

/** One action of the stream, with the target and agent the gateway would resolve from config. */
export interface WorkItem {
  readonly action: Action
  readonly target: PolicyTarget
  readonly agent: PolicyAgent
}

const target = (name: string, kind: 'sql' | 'shell', env: string, team: string): PolicyTarget => ({ name, kind, labels: { env, team } })

/** Every target has `env` and `team` labels, so `target.labels.team` never errors in CEL nor in Cedar. */
export const TARGETS: readonly PolicyTarget[] = [
  target('prod-db-1', 'sql', 'prod', 't1'),
  target('prod-db-2', 'sql', 'prod', 't2'),
  target('prod-db-3', 'sql', 'prod', 't3'),
  target('analytics-db', 'sql', 'prod', 't5'),
  target('staging-db-1', 'sql', 'staging', 't1'),
  target('staging-db-2', 'sql', 'staging', 't4'),
  target('prod-web-1', 'shell', 'prod', 't1'),
  target('prod-web-2', 'shell', 'prod', 't2'),
  target('prod-batch', 'shell', 'prod', 't3'),
  target('bastion', 'shell', 'prod', 't0'),
  target('staging-web', 'shell', 'staging', 't4'),
  target('dev-box', 'shell', 'dev', 't5'),
]

const agent = (id: string, owner: string, trust: string): PolicyAgent => ({ id, owner, labels: { trust } })

/** Every agent has a `trust` label. */
export const AGENTS: readonly PolicyAgent[] = [
  agent('ci-deploy', 'alice@example.com', 'high'),
  agent('ci-migrate', 'bob@example.com', 'high'),
  agent('agent-claude-ops', 'carol@example.com', 'medium'),
  agent('agent-gpt-data', 'dave@example.com', 'medium'),
  agent('agent-intern', 'erin@example.com', 'low'),
  agent('script-backup', 'frank@example.com', 'high'),
]

export const TEAMS = ['t0', 't1', 't2', 't3', 't4', 't5'] as const
export const TABLE_FAMILIES = ['users', 'orders', 'payments', 'sessions', 'events', 'audit'] as const
export const TABLES_PER_FAMILY = 25
export const SERVICES = ['api', 'worker', 'nginx', 'postgres', 'redis', 'cron'] as const

const REASONS = [
  '',
  'routine cleanup',
  'hotfix for ticket OPS-1234',
  'incident INC-42 mitigation',
  'nightly backup',
  'schema migration 2024_11_02',
  'customer request via ticket SUP-77',
  'debugging slow query',
  'rotate credentials',
] as const
const MODELS = ['', 'claude-sonnet-4', 'gpt-4o', 'llama-3-70b'] as const

/** A table of the workload: `public.users_17`. */
export const tableName = (family: string, n: number): string => `public.${family}_${n}`

function sqlText(random: Random): string {
  const table = (family?: string): string => tableName(family ?? random.pick(TABLE_FAMILIES), random.int(TABLES_PER_FAMILY))
  const id = (): number => random.int(1_000_000)
  return random.weighted<() => string>([
    [20, () => `SELECT id, email, created_at FROM ${table('users')} WHERE id = ${id()}`],
    [10, () => `SELECT o.id, sum(p.amount) FROM ${table('orders')} o JOIN ${table('payments')} p ON p.order_id = o.id WHERE o.created_at > now() - interval '${1 + random.int(90)} days' GROUP BY o.id`],
    [5, () => `SELECT count(*) FROM ${table()}`],
    [8, () => `UPDATE ${table('orders')} SET status = 'shipped' WHERE id = ${id()}`],
    [4, () => `UPDATE ${table('users')} SET active = false`],
    [6, () => `DELETE FROM ${table('sessions')} WHERE expires_at < now() - interval '${random.int(30)} days'`],
    [3, () => `DELETE FROM ${table()}`],
    [5, () => `INSERT INTO ${table('events')} (kind, payload) VALUES ('deploy', '{"v": ${id()}}') RETURNING id`],
    [3, () => `CREATE INDEX CONCURRENTLY idx_${id()} ON ${table('orders')} (created_at)`],
    [3, () => `ALTER TABLE ${table()} ADD COLUMN note_${random.int(100)} text`],
    [2, () => `DROP TABLE ${table()}`],
    [1, () => `DROP DATABASE analytics_${random.int(500)}`],
    [2, () => `TRUNCATE ${table('audit')}`],
    [2, () => `GRANT SELECT ON ${table()} TO analyst_${random.int(200)}`],
    [1, () => `REVOKE ALL ON ${table()} FROM intern_${random.int(200)}`],
    [4, () => `BEGIN; UPDATE ${table('payments')} SET amount = amount - 10 WHERE id = ${id()}; UPDATE ${table('payments')} SET amount = amount + 10 WHERE id = ${id()}; INSERT INTO ${table('audit')} (note) VALUES ('transfer'); COMMIT`],
    [2, () => `SELECT pg_terminate_backend(${1000 + random.int(60000)})`],
    [1, () => `SELECT set_config('statement_timeout', '${random.int(100)}s', false)`],
    [2, () => `WITH d AS (DELETE FROM ${table('sessions')} WHERE user_id = ${id()} RETURNING *) SELECT count(*) FROM d`],
    [2, () => `EXPLAIN ANALYZE DELETE FROM ${table('events')} WHERE id < ${id()}`],
    [2, () => `COPY ${table('users')} TO STDOUT WITH (FORMAT csv)`],
    [1, () => `SELEC * FROM ${table()} WHERE`],
  ])()
}

function shellText(random: Random): string {
  const n = (): number => random.int(40)
  const service = (): string => random.pick(SERVICES)
  return random.weighted<() => string>([
    [12, () => `ls -la /var/log/app${n()}`],
    [8, () => `cat /etc/app${n()}/config.yaml`],
    [8, () => `tail -n ${10 + random.int(500)} /var/log/app${n()}/current.log | grep -i error`],
    [4, () => `df -h && du -sh /var/lib/app${n()}`],
    [4, () => `rm -rf /tmp/build-${random.int(5000)}`],
    [3, () => `rm -rf /var/lib/app${n()}/cache/*`],
    [2, () => `rm -f /tmp/app${n()}.pid`],
    [6, () => `sudo systemctl restart ${service()}${random.int(4) || ''}`],
    [4, () => `sudo systemctl status ${service()}`],
    [2, () => `curl -fsSL https://get.example${n()}.com/install.sh | sh`],
    [1, () => `wget -qO- https://x${n()}.example.com/s | bash`],
    [3, () => `ps aux | grep app${n()} | awk '{print $2}' | xargs kill -9`],
    [4, () => `kubectl -n team${random.int(6)} rollout restart deployment/${service()}`],
    [2, () => `echo ${random.int(100)} > /etc/app${n()}/flag`],
    [1, () => `echo "127.0.0.1 app${n()}" >> /etc/hosts`],
    [2, () => `bash -c "rm -rf /srv/app${n()}/releases/old"`],
    [2, () => `find /var/log -name "*.gz" -mtime +${1 + random.int(60)} -exec rm {} \\;`],
    [2, () => `for h in web1 web2 web${n()}; do ssh $h uptime; done`],
    [3, () => `docker ps && docker restart app${n()}`],
    [2, () => `tar czf /backup/app${n()}.tgz /srv/app${n()} && aws s3 cp /backup/app${n()}.tgz s3://backups/`],
    [1, () => `echo $(cat /etc/passwd) >> /tmp/out${n()}`],
    [2, () => `sudo -u postgres psql -c 'VACUUM ANALYZE'`],
    [2, () => `git -C /srv/app${n()} pull && npm ci && sudo systemctl reload nginx`],
    [1, () => `chmod -R 777 /srv/app${n()}`],
    [1, () => `iptables -F`],
    [1, () => `if then fi ${n()} (`],
  ])()
}

/** A deterministic mixed stream of `count` distinct actions (about 55% sql, 45% shell), each validated with `ActionSchema`. */
export function generateWorkload(count: number, seed = 42): WorkItem[] {
  const random = new Random(seed)
  const seen = new Set<string>()
  const items: WorkItem[] = []
  const byKind = { sql: TARGETS.filter((t) => t.kind === 'sql'), shell: TARGETS.filter((t) => t.kind === 'shell') }
  let attempts = 0
  while (items.length < count) {
    if (++attempts > count * 50) throw new Error(`could only generate ${items.length} distinct actions`)
    const kind = random.chance(0.55) ? 'sql' : 'shell'
    const chosenTarget = random.pick(byKind[kind])
    const chosenAgent = random.pick(AGENTS)
    const payload = kind === 'sql' ? { sql: sqlText(random) } : { command: shellText(random) }
    const context: Record<string, string> = {}
    const reason = random.pick(REASONS)
    if (reason) context['reason'] = reason
    const model = chosenAgent.id.startsWith('agent-') ? random.pick(MODELS) : ''
    if (model) context['model'] = model
    const draft = { kind, target: chosenTarget.name, payload, context }
    const key = JSON.stringify([draft, chosenAgent.id])
    if (seen.has(key)) continue
    seen.add(key)
    items.push({ action: ActionSchema.parse(draft), target: chosenTarget, agent: chosenAgent })
  }
  return items
}
