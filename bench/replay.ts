/**
 * `policy replay` throughput on the embedded store (PGlite in a data directory): a history of
 * 40,000 stored actions decided under a seeded 200-rule policy, replayed under a tightened copy.
 * Baseline in the same run: reading the same rows alone (the pages, nothing parsed or decided).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { canonicalJson } from '../src/action/index.js'
import { loadAnalyzers } from '../src/analyzers/index.js'
import { compilePolicy, decide } from '../src/policy/index.js'
import { newActionId, replayPolicy, type ReplayReport } from '../src/service/index.js'
import { actionHistory, openEmbedded, Store, type Database, type NewAction } from '../src/store/index.js'
import { createHash } from 'node:crypto'
import { formatRate, table } from './lib/measure.js'
import { generatePolicy } from './lib/rules.js'
import { AGENTS, generateWorkload, TARGETS } from './lib/workload.js'

export const name = 'replay: stored actions decided again per second (embedded store)'

const ACTIONS = 40_000
const DISTINCT = 4_000
const START = new Date('2026-10-01T00:00:00Z')
const RUNS = 3

export async function run(): Promise<void> {
  const analyzers = await loadAnalyzers()
  const generated = generatePolicy(200)
  const live = compilePolicy(generated.yaml, { file: 'live.yaml', factKinds: analyzers.factKinds })
  // The candidate: the live policy with every allow of the generated rules made a review, one in four.
  let flipped = 0
  const candidateText = generated.yaml.replace(/effect: allow/g, (found) => (flipped++ % 4 === 0 ? 'effect: review' : found))
  const candidate = compilePolicy(candidateText, { file: 'candidate.yaml', factKinds: analyzers.factKinds })
  // The same candidate with an after-hours rule: a policy that reads the time decides every action anew.
  const timedText = `${candidateText.trimEnd()}\n  - id: after-hours-deletes\n    match: { kind: sql }\n    when: 'time.hour >= 22 && sql.statements.exists(s, s.type == "delete")'\n    effect: review\n`
  const timeReading = compilePolicy(timedText, { file: 'candidate-time.yaml', factKinds: analyzers.factKinds })
  // A history repeats itself (the same queries every hour): DISTINCT actions, each stored ACTIONS / DISTINCT times.
  const items = generateWorkload(DISTINCT)

  const dir = mkdtempSync(join(tmpdir(), 'countersign-bench-replay-'))
  const store = await Store.open(await openEmbedded<Database>({ dataDir: dir }))
  try {
    const started = performance.now()
    const batch: Promise<void>[] = []
    for (let index = 0; index < ACTIONS; index++) {
      const item = items[index % DISTINCT]!
      const now = new Date(START.getTime() + index * 60_000)
      const facts = analyzers.analyze(item.action.kind, item.action.payload)
      const decision = decide(live, { action: item.action, target: item.target, agent: item.agent, facts: facts?.facts, now })
      const actionJson = canonicalJson({ kind: item.action.kind, target: item.action.target, payload: item.action.payload })
      const digest = createHash('sha256').update(actionJson).digest('hex')
      const record: NewAction['record'] = {
        id: newActionId(now), createdAt: now, status: decision.effect === 'allow' ? 'allowed' : decision.effect === 'deny' ? 'denied' : 'pending',
        kind: item.action.kind, target: item.action.target, submittedBy: `agent:${item.agent.id}`, agentId: item.agent.id, owner: item.agent.owner, onBehalfOf: null,
        actionJson, context: item.action.context, digest, decision: JSON.parse(JSON.stringify(decision)) as Record<string, unknown>,
        impact: { summary: facts?.summary ?? '', highlights: facts?.highlights ?? [], facts: facts?.facts ?? null },
        policyVersion: live.version, expiresAt: null, executeBy: null, deadline: null, result: null, brokered: false,
      }
      batch.push(store.createAction({ record, events: [{ type: 'action.submitted', action_id: record.id, actor: record.submittedBy, channel: 'bench', digest, policy_version: live.version, data: {} }] }))
      if (batch.length === 500) await Promise.all(batch.splice(0))
    }
    await Promise.all(batch)
    const setupS = (performance.now() - started) / 1000

    const targets = new Map(TARGETS.map((target) => [target.name, target]))
    const agents = new Map(AGENTS.map((agent) => [agent.id, { ...agent, token_sha256: [] }]))
    const directory = { target: (name: string) => targets.get(name) as never, agent: (id: string) => agents.get(id) as never }
    const since = new Date(START.getTime() - 1)
    const timed = async (work: () => Promise<number>): Promise<{ rate: number; runs: number[]; count: number }> => {
      await work() // warm-up: JIT, the store's page cache
      const runs: number[] = []
      let count = 0
      for (let i = 0; i < RUNS; i++) {
        const start = performance.now()
        count = await work()
        runs.push((count * 1000) / (performance.now() - start))
      }
      return { rate: [...runs].sort((a, b) => a - b)[RUNS >> 1]!, runs, count }
    }
    const read = await timed(async () => {
      let rows = 0
      for await (const page of actionHistory(store.db, { fromId: 'act_' })) rows += page.length
      return rows
    })
    let report: ReplayReport | undefined
    const replay = (facts: 'current' | 'recorded', policy = candidate) =>
      timed(async () => {
        report = await replayPolicy({ store, directory, analyzers }, policy, { since, facts })
        return report.replayed
      })
    const unchanged = await replayPolicy({ store, directory, analyzers }, live, { since, facts: 'current' })
    const recorded = await replay('recorded')
    const everyAction = await replay('current', timeReading)
    const current = await replay('current')

    console.log(`History: ${ACTIONS.toLocaleString('en-US')} stored actions (${DISTINCT.toLocaleString('en-US')} distinct sql and shell actions, each ${ACTIONS / DISTINCT}×), written in ${setupS.toFixed(1)} s; policy of ${live.rules.length} rules, candidate with ${Math.ceil(flipped / 4)} allow rules made review.`)
    console.log(`Check: the live policy replays to ${unchanged.changed} changes over ${unchanged.replayed.toLocaleString('en-US')} actions (must be 0); the candidate changes ${report?.changed.toLocaleString('en-US')} (${report?.effects.filter((e) => e.from !== e.to).map((e) => `${e.from} → ${e.to} ${e.actions}`).join(', ')}).`)
    const row = (label: string, result: { rate: number; runs: number[] }, note: string) => [label, formatRate(result.rate), result.runs.map(formatRate).join(' / '), note]
    console.log(
      table(
        ['pass', 'actions/s', 'runs', 'notes'],
        [
          row('read the rows alone (baseline)', read, 'actionHistory pages, 2,000 rows each'),
          row('replay, facts as recorded', recorded, 'parse + decide + compare'),
          row('replay, facts analyzed again', current, 'analyze once per distinct action, decide once per distinct input'),
          row('replay, candidate reads time', everyAction, 'the same, but every action decided (a time-reading policy is never memoized)'),
        ],
      ),
    )
    const target = 20_000
    console.log(`Target ≥ ${formatRate(target)} actions/s replayed (facts analyzed again): ${current.rate >= target ? 'met' : 'NOT met'}; with every action decided: ${everyAction.rate >= target ? 'met' : 'NOT met'}.`)
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
