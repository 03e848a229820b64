import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { configFromObject, type Config } from '../config/index.js'
import { generateToken, tokenSha256 } from '../service/index.js'

/** Where the package's examples live, from `src/server` and `dist/server` alike. */
export const EXAMPLES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples')

/** The demo principals the quickstart issues tokens for. */
export const DEMO = { agent: 'deploy-bot', humans: ['alice@example.com', 'bob@example.com'] } as const

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
  // target's agents run approved actions themselves, with a receipt. Set PROD_DB_URL (etc.) to broker.
  for (const target of raw['targets'] ?? []) {
    if (target.connector && envReferences(target.connector).some((name) => !process.env[name])) delete target.connector
  }
  return { config: configFromObject(raw, { baseDir: EXAMPLES_DIR, file: join(EXAMPLES_DIR, 'countersign.yaml') }), tokens }
}

function envReferences(value: unknown): string[] {
  if (typeof value === 'string') return value.startsWith('env:') ? [value.slice(4)] : []
  if (!value || typeof value !== 'object') return []
  return Object.values(value).flatMap(envReferences)
}

function demoTokens(file: string): DemoTokens {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DemoTokens
  const tokens: DemoTokens = {
    agent: generateToken('agent').token,
    humans: Object.fromEntries(DEMO.humans.map((email) => [email, generateToken('human').token])),
  }
  writeFileSync(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  return tokens
}

/** What the quickstart prints once it listens: URLs, demo tokens and two commands to try. */
export function quickstartBanner(url: string, dataDir: string, tokens: DemoTokens): string {
  const [alice, bob] = DEMO.humans
  const body = JSON.stringify({
    kind: 'sql',
    target: 'prod-db',
    payload: { sql: 'UPDATE users SET plan_id = 2 WHERE id = 42' },
    context: { reason: 'customer 42 upgraded to the pro plan' },
  })
  return [
    '',
    'Countersign quickstart: embedded store in ' + dataDir + ', example policy and identities.',
    '',
    `  Console   ${url}/   (development sign-in: pick a person, no password)`,
    `  API       ${url}/v1   (OpenAPI: ${url}/openapi.json)`,
    `  Metrics   ${url}/metrics`,
    '',
    'Demo tokens (kept in ' + join(dataDir, 'quickstart-tokens.json') + '):',
    `  agent ${DEMO.agent} (owner carol@example.com)  ${tokens.agent}`,
    `  ${alice} (dba, oncall, auditor)    ${tokens.humans[alice]}`,
    `  ${bob} (dba)                       ${tokens.humans[bob]}`,
    '',
    'Try it: the agent asks to change a row in prod-db; the policy wants one DBA to approve.',
    `  ID=$(curl -s -X POST '${url}/v1/actions' -H 'authorization: Bearer ${tokens.agent}' -H 'content-type: application/json' -d '${body}' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).id')`,
    `  COUNTERSIGN_URL=${url} COUNTERSIGN_TOKEN=${tokens.humans[alice]} npx countersign approve $ID --reason "checked the WHERE clause"`,
    '',
    `Then: COUNTERSIGN_URL=${url} COUNTERSIGN_TOKEN=${tokens.humans[bob]} npx countersign show $ID`,
    'Ctrl-C stops the gateway; starting it again keeps the data.',
    '',
  ].join('\n')
}
