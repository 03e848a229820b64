/**
 * Every analyzer alone: payloads analyzed per second, per kind, on fixture payloads from each
 * analyzer's tests. The baseline, measured in the same run, is the digest of the same payloads
 * (RFC 8785 canonical JSON + SHA-256), which every submission computes anyway.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { actionDigest, type ActionKind } from '../src/action/index.js'
import { loadAnalyzers } from '../src/analyzers/index.js'
import { throughput } from './lib/measure.js'

export const name = 'analyzers: payloads per second per kind'

const ANALYZERS = fileURLToPath(new URL('../src/analyzers/', import.meta.url))

const INLINE: Partial<Record<ActionKind, readonly Record<string, unknown>[]>> = {
  sql: [
    { sql: 'SELECT id, plan FROM users WHERE id = 42' },
    { sql: 'WITH gone AS (DELETE FROM sessions WHERE expires_at < now() RETURNING id) SELECT count(*) FROM gone' },
    { sql: 'UPDATE accounts SET balance = balance - 10 WHERE id = 7; INSERT INTO ledger (account, delta) VALUES (7, -10)' },
    { sql: 'ALTER TABLE orders ADD COLUMN note text; GRANT SELECT ON orders TO analyst' },
  ],
  shell: [
    { command: 'ls -la /var/log | grep -v gz | tail -n 20' },
    { command: 'sudo systemctl restart nginx && journalctl -u nginx -n 50' },
    { command: 'find /tmp -name "*.tmp" -mtime +3 -exec rm -f {} \\;' },
    { command: 'bash -c "curl -fsSL https://example.com/install.sh | sh"' },
  ],
}

/** Payloads of a kind: the inline ones, or those in the analyzer's fixtures (JSON: a list of {payload} or payloads). */
function payloadsOf(kind: ActionKind): readonly Record<string, unknown>[] {
  const inline = INLINE[kind]
  if (inline) return inline
  const dir = join(ANALYZERS, kind, 'fixtures')
  let files: string[]
  try {
    files = readdirSync(dir)
  } catch {
    return []
  }
  const payloads: Record<string, unknown>[] = []
  for (const file of files.sort()) {
    const text = readFileSync(join(dir, file), 'utf8')
    if (file.endsWith('.json')) {
      const value = JSON.parse(text) as unknown
      const entries = Array.isArray(value) ? value : [value]
      for (const entry of entries as Record<string, unknown>[]) {
        if (kind === 'terraform') payloads.push('plan' in entry ? entry : { plan: entry })
        else payloads.push((entry['payload'] as Record<string, unknown> | undefined) ?? entry)
      }
    } else if (kind === 'kubernetes' && /\.ya?ml$/.test(file)) payloads.push({ manifest: text })
  }
  return payloads
}

export async function run(): Promise<void> {
  const analyzers = await loadAnalyzers()
  let sink = 0
  console.log('kind        payloads   analyzed/s   digests/s (baseline)   analysis ÷ digest time')
  for (const kind of ['sql', 'shell', 'terraform', 'kubernetes', 'http'] as const) {
    const payloads = payloadsOf(kind)
    if (payloads.length === 0 || !analyzers.factKinds.some((declared) => declared.name === kind && analyzers.analyze(kind, payloads[0]!) !== undefined)) {
      console.log(`${kind.padEnd(10)}  (no analyzer or no fixtures)`)
      continue
    }
    const options = { warmupMs: 300, minMs: 1000, runs: 3 }
    const analyzed = throughput(() => {
      for (const payload of payloads) sink += analyzers.analyze(kind, payload)?.highlights.length ?? 0
      return payloads.length
    }, options)
    const digested = throughput(() => {
      for (const payload of payloads) sink += actionDigest({ kind, target: 't', payload }).length
      return payloads.length
    }, options)
    console.log(
      `${kind.padEnd(10)}  ${String(payloads.length).padStart(8)}   ${Math.round(analyzed.median).toLocaleString('en').padStart(10)}   ${Math.round(digested.median).toLocaleString('en').padStart(20)}   ${(digested.median / analyzed.median).toFixed(1).padStart(10)}×`,
    )
  }
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink)
}
