import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { configFromObject, type Config } from '../config/index.js'
import { generateToken, tokenSha256 } from '../service/index.js'

/** Where the package's examples live, from `src/server` and `dist/server` alike. */
export const EXAMPLES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples')

/** The demo principals the quickstart issues tokens for (carol owns deploy-bot: she may not approve its requests). */
export const DEMO = { agent: 'deploy-bot', humans: ['alice@example.com', 'bob@example.com', 'carol@example.com'] } as const

/** The target the quickstart's demo database stands in for. */
export const DEMO_TARGET = 'prod-db'
/** Where the quickstart's PostgreSQL wire gateway listens (when prod-db is a real PostgreSQL). */
export const QUICKSTART_POSTGRES_LISTEN = '127.0.0.1:6432'

/** The demo database's tables and rows: what the quickstart's example statements change and read. */
const DEMO_SEED = `
CREATE TABLE IF NOT EXISTS plans (id int PRIMARY KEY, name text NOT NULL, tier int NOT NULL);
CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, email text NOT NULL, plan_id int NOT NULL REFERENCES plans);
INSERT INTO plans VALUES (1, 'free', 1), (2, 'pro', 2), (3, 'enterprise', 3) ON CONFLICT DO NOTHING;
INSERT INTO users VALUES (40, 'ana@example.net', 1), (41, 'ben@example.net', 2), (42, 'chloe@example.net', 1), (43, 'dev@example.net', 3), (44, 'eli@example.net', 1) ON CONFLICT DO NOTHING;
`

/** Demo tokens, kept in the data directory so the printed commands work after a restart. */
export interface DemoTokens {
  readonly agent: string
  readonly humans: Readonly<Record<string, string>>
}

/**
 * The quickstart's config: the example identities, targets and policy, an embedded store in
 * `dataDir`, a generated audit key, and demo tokens for one agent and two humans.
 */
export function quickstartConfig(options: { dataDir: string; port?: number | undefined }): { config: Config; tokens: DemoTokens } {
  const dataDir = resolve(options.dataDir)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const tokens = demoTokens(join(dataDir, 'quickstart-tokens.json'))
  const raw = parse(readFileSync(join(EXAMPLES_DIR, 'countersign.yaml'), 'utf8')) as Record<string, any>
  const listen = `127.0.0.1:${options.port ?? 8470}`
  raw['server'] = { listen, public_url: `http://${listen}` }
  raw['store'] = { data_dir: dataDir }
  raw['policy'] = join(EXAMPLES_DIR, 'policy.yaml')
  // The key is generated in the data directory; alice may read the audit log in the demo.
  raw['audit'] = {}
  // The console's development sign-in (pick a configured human, no password): marked on every page.
  raw['console'] = { dev_login: true }
  const identities = raw['identities']
  identities.auditors = [...(identities.auditors ?? []), DEMO.humans[0]]
  for (const agent of identities.agents) if (agent.id === DEMO.agent) agent.token_sha256 = [tokenSha256(tokens.agent)]
  for (const human of identities.humans) {
    const token = tokens.humans[human.email]
    if (token) human.token_sha256 = [tokenSha256(token)]
  }
  // A connector whose credentials are not in the environment could only fail: without it, the
  // target's agents run approved actions themselves, with a receipt. prod-db gets the embedded demo
  // database instead (seedDemoDatabase), so an approved change runs and its result is shown.
  // Set PROD_DB_URL (etc.) to broker to a real database.
  for (const target of raw['targets'] ?? []) {
    if (!target.connector || !envReferences(target.connector).some((name) => !process.env[name])) continue
    if (target.name === DEMO_TARGET) target.connector = { type: 'pglite', data_dir: demoDatabaseDir(dataDir) }
    else delete target.connector
  }
  // The PostgreSQL wire gateway serves targets with a postgres connector: on when prod-db is a real
  // database (PROD_DB_URL). The embedded demo database is one PGlite session in this process, which
  // the executor already uses: it cannot give every client session a connection of its own.
  if ((raw['targets'] ?? []).some((target: { name?: string; connector?: { type?: string } }) => target.name === DEMO_TARGET && target.connector?.type === 'postgres')) {
    raw['server'].postgres = { listen: QUICKSTART_POSTGRES_LISTEN }
  }
  return { config: configFromObject(raw, { baseDir: EXAMPLES_DIR, file: join(EXAMPLES_DIR, 'countersign.yaml') }), tokens }
}

/** Where the quickstart keeps its demo database (an embedded PostgreSQL standing in for prod-db). */
export function demoDatabaseDir(dataDir: string): string {
  return join(resolve(dataDir), 'demo-db')
}

/**
 * Creates the demo database's tables and rows when they are missing (a restart keeps what the
 * approved changes did). Runs before the gateway starts: the connector opens the database after.
 */
export async function seedDemoDatabase(dataDir: string): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite')
  const db = await PGlite.create(demoDatabaseDir(dataDir))
  try {
    await db.exec(DEMO_SEED)
  } finally {
    await db.close()
  }
}

function envReferences(value: unknown): string[] {
  if (typeof value === 'string') return value.startsWith('env:') ? [value.slice(4)] : []
  if (!value || typeof value !== 'object') return []
  return Object.values(value).flatMap(envReferences)
}

function demoTokens(file: string): DemoTokens {
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoTokens) : undefined
  // Tokens of a data directory from an older quickstart are kept; demo people added since get one.
  if (kept && DEMO.humans.every((email) => kept.humans[email])) return kept
  const tokens: DemoTokens = {
    agent: kept?.agent ?? generateToken('agent').token,
    humans: Object.fromEntries(DEMO.humans.map((email) => [email, kept?.humans[email] ?? generateToken('human').token])),
  }
  writeFileSync(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600, flag: kept ? 'w' : 'wx' })
  return tokens
}

/** What the quickstart prints once it listens: URLs, demo tokens and the commands of a first approval. */
export function quickstartBanner(url: string, dataDir: string, tokens: DemoTokens): string {
  const [alice, bob, carol] = DEMO.humans
  // The CLI for every step: when the gateway is down, each says so in one line (no stack trace),
  // and an empty $ID is refused as "not an action id".
  const as = (token: string | undefined) => `COUNTERSIGN_URL=${url} COUNTERSIGN_TOKEN=${token}`
  return [
    '',
    'Countersign quickstart: embedded store in ' + dataDir + ', example policy and identities.',
    `prod-db is a demo database embedded here (${demoDatabaseDir(dataDir)}): approved SQL runs on it.`,
    '',
    `  Console   ${url}/   (development sign-in: pick a person, no password)`,
    `  API       ${url}/v1   (OpenAPI: ${url}/openapi.json)`,
    `  Metrics   ${url}/metrics`,
    '',
    'Demo tokens (kept in ' + join(dataDir, 'quickstart-tokens.json') + '):',
    `  agent ${DEMO.agent} (owner carol@example.com)  ${tokens.agent}`,
    `  ${alice} (dba, oncall, auditor)    ${tokens.humans[alice]}`,
    `  ${bob} (dba)                       ${tokens.humans[bob]}`,
    `  ${carol} (admin, owns ${DEMO.agent})   ${tokens.humans[carol]}`,
    '',
    'Try it: the agent asks to change a row in prod-db; the policy wants one DBA to approve; then Countersign runs it.',
    `  ID=$(${as(tokens.agent)} npx countersign submit --target prod-db --sql 'UPDATE users SET plan_id = 2 WHERE id = 42' --reason 'customer 42 upgraded to the pro plan' --id-only); echo "$ID"`,
    `  ${as(tokens.humans[alice])} npx countersign approve "$ID" --reason 'checked the WHERE clause'`,
    `  ${as(tokens.humans[bob])} npx countersign show "$ID"      # succeeded, with the row count`,
    '',
    `Carol owns ${DEMO.agent}, so she may not approve its requests: try her token on approve (refused).`,
    process.env['PROD_DB_URL']
      ? `psql through the wire gateway (each statement decided, held or denied like any action): PGPASSWORD=${tokens.agent} psql 'postgres://${DEMO.agent}@${QUICKSTART_POSTGRES_LISTEN}/prod-db'`
      : `With PROD_DB_URL set to a PostgreSQL database, prod-db is that database, and psql reaches it through the wire gateway on ${QUICKSTART_POSTGRES_LISTEN} (docs/pgwire.md).`,
    'With PROD_DB_URL set, prod-db is that database instead. A target without a connector is run by its agent: countersign exec, or a receipt (GET /v1/actions/ID/receipt, then POST /v1/receipts/redeem).',
    'Ctrl-C stops the gateway; starting it again keeps the data.',
    '',
  ].join('\n')
}
