/**
 * Policy evaluation throughput on one core: a generated 200-rule sql/shell policy over a stream
 * of ~2,000 distinct actions, against Cedar (cedar-wasm) evaluating the same rules.
 */
import { performance } from 'node:perf_hooks'
import { loadAnalyzers, type Analyzers } from '../src/analyzers/index.js'
import { compilePolicy, decide, type CompiledPolicy, type Decision, type DecisionInput } from '../src/policy/index.js'
import { CedarEngine, cedarRequest, type CedarDecision } from './lib/cedar.js'
import { formatRate, median, table, throughput, type Throughput } from './lib/measure.js'
import { generatePolicy } from './lib/rules.js'
import { generateWorkload, type WorkItem } from './lib/workload.js'

export const name = 'policy: decisions per second, Countersign vs Cedar'

const RULES = 200
const ACTIONS = 2000
const NOW = new Date('2025-01-15T10:30:00Z')
const EFFECTS = ['allow', 'review', 'deny'] as const

/** Keeps results observable so the JIT cannot drop the work. */
let sink = 0

export async function run(): Promise<void> {
  const setup: string[][] = []
  const timed = async <T>(label: string, work: () => T | Promise<T>): Promise<T> => {
    const start = performance.now()
    const result = await work()
    setup.push([label, `${(performance.now() - start).toFixed(0)} ms`])
    return result
  }

  const analyzers = await timed('load analyzers (WASM parsers)', () => loadAnalyzers())
  const generated = generatePolicy(RULES)
  const policy = await timed(`compile policy (${RULES} rules, YAML + CEL)`, () => compilePolicy(generated.yaml, { file: 'bench-policy.yaml', factKinds: analyzers.factKinds }))
  const cedar = await timed(`preparse Cedar policy set (${RULES} policies)`, () => new CedarEngine(generated))
  const items = await timed(`generate + validate ${ACTIONS} actions (ActionSchema)`, () => generateWorkload(ACTIONS))
  const inputs = await timed('analyze every action once (facts precomputed)', () => items.map((item) => decisionInput(analyzers, item)))
  const requests = items.map((item, index) => cedarRequest(item, inputs[index]!.facts))

  // Verification pass: both engines over the whole stream.
  const decisions = inputs.map((input) => decide(policy, input))
  const cedarDecisions = requests.map((request) => cedar.decide(request))
  const check = compare(decisions, cedarDecisions)

  // For profiling the hot path alone: BENCH_FOCUS=decide node --cpu-prof --import tsx bench/index.ts policy
  if (process.env['BENCH_FOCUS'] === 'decide') {
    const focused = throughput(() => {
      for (const input of inputs) sink += decide(policy, input).rules.length
      return inputs.length
    }, { minMs: 8000, runs: 1 })
    console.log(`decide() only, facts precomputed: ${formatRate(focused.median)} decisions/s over 8 s (BENCH_FOCUS=decide; the rest skipped)`)
    return
  }

  // (a) analysis excluded
  const countersign = throughput(() => {
    for (const input of inputs) sink += decide(policy, input).rules.length
    return inputs.length
  })
  // (a') the same stream on a policy warmed by another stream: decisions made anew where that one's do not fit
  const compile = () => compilePolicy(generated.yaml, { file: 'bench-policy.yaml', factKinds: analyzers.factKinds })
  const others = await timed(`generate + analyze ${ACTIONS} other actions (another seed)`, () => generateWorkload(ACTIONS, 43).map((item) => decisionInput(analyzers, item)))
  const unseen = unseenThroughput(compile, others, inputs)
  // (b) analysis included
  const withAnalysis = throughput(() => {
    for (const item of items) sink += decide(policy, decisionInput(analyzers, item)).rules.length
    return items.length
  })
  // Cedar, facts precomputed as context: comparable to (a)
  const cedarRate = throughput(() => {
    for (const request of requests) sink += cedar.decide(request).determining.length
    return requests.length
  })
  // Cedar with the policy text parsed on every call (what plain `isAuthorized` does): a short sample.
  const sample = requests.slice(0, 40)
  const cedarUnparsed = throughput(
    () => {
      for (const request of sample) sink += cedar.decideUnparsed(request).determining.length
      return sample.length
    },
    { warmupMs: 0, minMs: 1000, runs: 1 },
  )
  // Analyzers alone, per kind.
  const analyzeRate = (kind: 'sql' | 'shell'): [Throughput, number] => {
    const payloads = items.filter((item) => item.action.kind === kind).map((item) => item.action.payload)
    const rate = throughput(
      () => {
        for (const payload of payloads) sink += analyzers.analyze(kind, payload)?.highlights.length ?? 0
        return payloads.length
      },
      { warmupMs: 300, minMs: 1000, runs: 3 },
    )
    return [rate, payloads.length]
  }
  const [sqlRate, sqlCount] = analyzeRate('sql')
  const [shellRate, shellCount] = analyzeRate('shell')

  print({ policy, items, decisions, check, setup, countersign, unseen, withAnalysis, cedarRate, cedarUnparsed, sqlRate, sqlCount, shellRate, shellCount, sample: sample.length })
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink)
}

/**
 * Decisions per second over `inputs` seen once, median of 5 runs, each on a freshly compiled
 * policy warmed (JIT and remembered decisions) by 20 passes over `others`: a decision whose
 * conditions' values were seen before is remembered (src/policy/decision-memo.ts); the others
 * are made anew. Also how many were made anew (the decisions not handed out for `others`).
 */
function unseenThroughput(compile: () => CompiledPolicy, others: readonly DecisionInput[], inputs: readonly DecisionInput[]): Throughput & { anew: number } {
  const rates: number[] = []
  const perCpu: number[] = []
  let anew = 0
  for (let run = 0; run < 5; run++) {
    const fresh = compile()
    const known = new Set<Decision>()
    for (let pass = 0; pass < 20; pass++) for (const input of others) known.add(decide(fresh, input))
    const made: Decision[] = []
    const cpu = process.cpuUsage()
    const start = performance.now()
    for (const input of inputs) made.push(decide(fresh, input))
    const elapsed = performance.now() - start
    const used = process.cpuUsage(cpu)
    rates.push((inputs.length * 1000) / elapsed)
    perCpu.push((inputs.length * 1e6) / Math.max(1, used.user + used.system))
    anew = made.filter((decision) => !known.has(decision)).length
  }
  return { median: median(rates), runs: rates, perCpuSecond: median(perCpu), anew }
}

function decisionInput(analyzers: Analyzers, item: WorkItem): DecisionInput {
  const facts = analyzers.analyze(item.action.kind, item.action.payload)?.facts
  return { action: item.action, target: item.target, agent: item.agent, facts, now: NOW }
}

interface Check {
  readonly effectMismatches: number
  readonly ruleMismatches: number
  readonly celErrors: number
  readonly cedarErrors: number
  readonly cedarEffects: Record<string, number>
  readonly examples: readonly string[]
}

/** Same effect for every action, and the same determining rules (deny: the denies; otherwise every allow/review rule that applied). */
function compare(ours: readonly Decision[], theirs: readonly CedarDecision[]): Check {
  let effectMismatches = 0
  let ruleMismatches = 0
  let celErrors = 0
  let cedarErrors = 0
  const cedarEffects: Record<string, number> = {}
  const examples: string[] = []
  ours.forEach((decision, index) => {
    const cedar = theirs[index]!
    cedarEffects[cedar.effect] = (cedarEffects[cedar.effect] ?? 0) + 1
    celErrors += decision.rules.filter((rule) => rule.error !== undefined).length
    cedarErrors += cedar.errors
    const expected = decision.rules
      .filter((rule) => rule.matched && (decision.effect === 'deny' ? rule.effect === 'deny' : rule.effect !== 'deny'))
      .map((rule) => rule.id)
      .sort()
      .join(',')
    const got = [...cedar.determining].sort().join(',')
    if (decision.effect !== cedar.effect) {
      effectMismatches++
      if (examples.length < 5) examples.push(`#${index}: countersign ${decision.effect} [${expected}] vs cedar ${cedar.effect} [${got}]`)
    } else if (expected !== got) {
      ruleMismatches++
      if (examples.length < 5) examples.push(`#${index}: rules [${expected}] vs cedar [${got}]`)
    }
  })
  return { effectMismatches, ruleMismatches, celErrors, cedarErrors, cedarEffects, examples }
}

interface Report {
  readonly policy: CompiledPolicy
  readonly items: readonly WorkItem[]
  readonly decisions: readonly Decision[]
  readonly check: Check
  readonly setup: readonly string[][]
  readonly countersign: Throughput
  readonly unseen: Throughput & { readonly anew: number }
  readonly withAnalysis: Throughput
  readonly cedarRate: Throughput
  readonly cedarUnparsed: Throughput
  readonly sqlRate: Throughput
  readonly sqlCount: number
  readonly shellRate: Throughput
  readonly shellCount: number
  readonly sample: number
}

function print(report: Report): void {
  const { policy, items, decisions, check } = report
  const count = (effect: string): number => policy.rules.filter((rule) => rule.effect === effect).length
  const withWhen = policy.rules.filter((rule) => rule.condition).length
  console.log(
    `Policy: ${policy.rules.length} rules (${count('allow')} allow, ${count('review')} review, ${count('deny')} deny; ${withWhen} with a CEL condition), default ${policy.default}.`,
  )
  const kinds = (kind: string): number => items.filter((item) => item.action.kind === kind).length
  const targets = new Set(items.map((item) => item.target.name)).size
  const agents = new Set(items.map((item) => item.agent.id)).size
  console.log(`Stream: ${items.length} distinct actions (${kinds('sql')} sql, ${kinds('shell')} shell) on ${targets} targets from ${agents} agents.`)
  console.log('\nSetup')
  console.log(table(['step', 'time'], report.setup))

  const rate = (label: string, result: Throughput, note: string): string[] => [
    label,
    formatRate(result.median),
    formatRate(result.perCpuSecond),
    (1e6 / result.median).toFixed(2),
    result.runs.map((value) => formatRate(value)).join(' / '),
    note,
  ]
  console.log('\nThroughput on one core (median of runs; each run ≥ 2 s over the whole stream after warm-up)')
  console.log(
    table(
      ['engine', 'decisions/s', 'per CPU-second', 'µs/decision', 'runs', 'notes'],
      [
        rate('Countersign, analysis excluded', report.countersign, 'decide() with facts precomputed'),
        rate(
          '  new actions, warm policy',
          report.unseen,
          `the same stream once, on a new policy after 20 passes over ${ACTIONS} other actions: ${formatRate(report.unseen.anew)} of ${decisions.length} decisions made anew, the rest remembered`,
        ),
        rate('Countersign, analysis included', report.withAnalysis, 'analyze() + decide() per action'),
        rate('Cedar (same decisions)', report.cedarRate, 'statefulIsAuthorized, preparsed policy set, context precomputed'),
        rate('Cedar, policies parsed per call', report.cedarUnparsed, `isAuthorized with the policy text each call; 1 run of ≥ 1 s on ${report.sample} actions`),
      ],
    ),
  )
  const ratio = report.countersign.median / report.cedarRate.median
  const cpuRatio = report.countersign.perCpuSecond / report.cedarRate.perCpuSecond
  console.log(`\nCountersign / Cedar (analysis excluded vs preparsed Cedar): ${ratio.toFixed(2)}× (per CPU-second: ${cpuRatio.toFixed(2)}×)`)
  console.log(
    'Cedar\'s per-call cost includes passing the context (target, agent, reason and the flattened facts) into WASM and the answer back out; that is inherent to cedar-wasm.',
  )
  const target = 250_000
  const targetRatio = 150
  console.log(
    `Target ≥ ${formatRate(target)} decisions/s (analysis excluded): ${report.countersign.median >= target ? 'met' : 'NOT met'}; ≥ ${targetRatio}× Cedar: ${ratio >= targetRatio ? 'met' : 'NOT met'}.`,
  )

  const evaluated = (kind?: string): string => {
    const selected = decisions.filter((_, index) => kind === undefined || items[index]!.action.kind === kind)
    const average = selected.reduce((sum, decision) => sum + decision.rules.length, 0) / Math.max(1, selected.length)
    return average.toFixed(1)
  }
  const whenOf = new Map(policy.rules.map((rule) => [rule.id, rule.when]))
  const distinct = decisions.reduce((sum, decision) => sum + new Set(decision.rules.map((rule) => whenOf.get(rule.id))).size, 0) / decisions.length
  const excluded = decisions.reduce((sum, decision) => sum + decision.excluded_rules, 0) / decisions.length
  const matched = decisions.reduce((sum, decision) => sum + decision.matched_rules.length, 0) / decisions.length
  console.log('\nRules per decision')
  console.log(
    table(
      ['measure', 'value'],
      [
        ['rules evaluated (candidates after match keys), all actions', evaluated()],
        ['  sql actions', evaluated('sql')],
        ['  shell actions', evaluated('shell')],
        ['  of which distinct `when` texts', distinct.toFixed(1)],
        ['rules excluded by match keys', excluded.toFixed(1)],
        ['rules matched', matched.toFixed(2)],
      ],
    ),
  )

  const ours: Record<string, number> = {}
  for (const decision of decisions) ours[decision.effect] = (ours[decision.effect] ?? 0) + 1
  const defaults = decisions.filter((decision) => decision.default_applied).length
  const share = (value: number): string => `${value} (${((100 * value) / decisions.length).toFixed(1)}%)`
  console.log('\nEffect mix over the stream')
  console.log(
    table(
      ['effect', 'Countersign', 'Cedar'],
      EFFECTS.map((effect) => [effect, share(ours[effect] ?? 0), share(check.cedarEffects[effect] ?? 0)]),
    ),
  )
  console.log(`(${share(defaults)} decided by the policy default)`)
  console.log(
    `Agreement: effect mismatches ${check.effectMismatches}, determining-rule mismatches ${check.ruleMismatches}; CEL condition errors ${check.celErrors}, Cedar policy errors ${check.cedarErrors}.`,
  )
  for (const example of check.examples) console.log(`  ${example}`)

  console.log('\nAnalyzer throughput (analyze() only, one core, median of 3 runs ≥ 1 s)')
  console.log(
    table(
      ['kind', 'actions/s', 'µs/action', 'actions in stream'],
      [
        ['sql', formatRate(report.sqlRate.median), (1e6 / report.sqlRate.median).toFixed(1), String(report.sqlCount)],
        ['shell', formatRate(report.shellRate.median), (1e6 / report.shellRate.median).toFixed(1), String(report.shellCount)],
      ],
    ),
  )
}
