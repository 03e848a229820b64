import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Command } from 'commander'
import { ActionDraftSchema } from '../action/index.js'
import { analyzeAction, loadAnalyzers, type Analysis, type Analyzers } from '../analyzers/index.js'
import { EMPTY_POLICY_CONTEXT, readPolicyContext, type PolicyContext } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import {
  compilePolicy,
  decide,
  excludedRules,
  formatDuration,
  lintPolicy,
  runPolicyCases,
  type CompiledPolicy,
  type Decision,
  type DecisionInput,
  type ReviewRequirement,
} from '../policy/index.js'
import { readJsonArgument, readText, type CliIo } from './io.js'
import { policyDiffCommand } from './policy-diff-command.js'
import { policyProposeCommand } from './policy-propose-command.js'
import { policyReplayCommand } from './policy-replay-command.js'

/** `countersign policy …`: check, test and explain policies without a running gateway. */
export function policyCommand(io: CliIo): Command {
  // Set before the verbs are added, so they inherit it: a usage error is exit 2, as documented, not commander's exit 1.
  const policy = new Command('policy').description('validate a policy, run its cases, explain a decision').configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).exitOverride()

  policy
    .command('check')
    .description('validate a policy file: YAML, keys, values and every condition (exit 2 with located errors when invalid); then warn about rules that can never match, allows that a deny or review always overrides, reviews nobody in the config can meet, allows that do not check parse_error/dynamic, and allows on kinds whose facts they do not read')
    .argument('<file>', 'policy file (YAML)')
    .option('--config <file>', 'countersign.yaml whose targets, agents and humans the warnings check against; default: COUNTERSIGN_CONFIG, or countersign.yaml beside the policy')
    .option('--strict', 'exit 1 when there is any warning')
    .action(async (file: string, options: { config?: string; strict?: boolean }) => {
      const compiled = await loadPolicy(file)
      io.stdout(`${file}: ok, ${compiled.rules.length} rule${compiled.rules.length === 1 ? '' : 's'}, default ${compiled.default}, version ${compiled.version.slice(0, 12)}\n`)
      const context = configFor(options.config, file, io)
      const warnings = lintPolicy(compiled, context ? { targets: [...context.targets.values()], agents: [...context.agents.values()], humans: context.humans } : {})
      for (const warning of warnings) io.stdout(`warning: ${warning.rule}: ${warning.message} [${warning.code}]\n`)
      if (warnings.length > 0 && options.strict) io.setExitCode?.(1)
    })

  policy
    .command('test')
    .description('run a cases file against a policy; print failing cases with their explanation; exit 1 if any fails')
    .argument('<file>', 'policy file (YAML)')
    .argument('<cases>', 'cases file: a YAML list of {name, action, agent?, now?, expect: {effect, rules?}}')
    .option('--config <file>', 'countersign.yaml whose targets (labels) and agents (owners) the cases use; default: countersign.yaml beside the policy, or COUNTERSIGN_CONFIG')
    .option('-v, --verbose', 'also explain passing cases')
    .action(async (file: string, casesFile: string, options: { config?: string; verbose?: boolean }) => {
      const [compiled, analyzers] = await Promise.all([loadPolicy(file), loadAnalyzers()])
      const context = loadContext(options.config, file, io)
      const results = runPolicyCases(compiled, readText(casesFile, 'cases file'), casesFile, {
        // Exactly the gateway's analysis: SQL read in the target's dialect.
        analyze: (action) => analyzeAction(analyzers, action, context.targets.get(action.target)),
        target: (name) => context.targets.get(name),
        agent: (id) => context.agents.get(id),
        knowsTargets: context.source !== undefined,
        now: () => new Date(),
        calendars: context.calendars,
      })
      let failed = 0
      for (const result of results) {
        if (result.passed) {
          io.stdout(`ok    ${result.name}\n`)
          if (options.verbose) io.stdout(indent(renderDecision(result.decision)))
          continue
        }
        failed++
        io.stdout(`FAIL  ${result.name}: ${result.problems.join('; ')}\n${indent(renderDecision(result.decision))}`)
      }
      io.stdout(`${results.length - failed} passed, ${failed} failed\n`)
      if (failed > 0) io.setExitCode?.(1)
    })

  policy
    .command('explain')
    .description('decide one action against a policy and explain every rule, its facts and what a review would need')
    .argument('<file>', 'policy file (YAML)')
    .requiredOption('--action <json>', 'the action as JSON, or @file.json: {kind, target?, payload, context?}')
    .option('--agent <id>', 'the submitting agent (from the config)')
    .option('--config <file>', 'countersign.yaml for targets and agents; default: countersign.yaml beside the policy, or COUNTERSIGN_CONFIG')
    .option('--now <time>', 'decide as of this ISO 8601 time')
    .option('--json', 'print the decision and analysis as JSON')
    .action(async (file: string, options: { action: string; agent?: string; config?: string; now?: string; json?: boolean }) => {
      const parsed = ActionDraftSchema.safeParse(readJsonArgument(options.action, '--action'))
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        throw new CountersignError('INVALID', `--action: ${issue?.path.join('.') || 'action'}: ${issue?.message ?? 'invalid'}`)
      }
      const now = options.now ? new Date(options.now) : new Date()
      if (Number.isNaN(now.getTime())) throw new CountersignError('INVALID', `--now: not a time: ${options.now}`)
      const [compiled, analyzers] = await Promise.all([loadPolicy(file), loadAnalyzers()])
      const context = loadContext(options.config, file, io)
      const agent = options.agent ? context.agents.get(options.agent) : undefined
      if (options.agent && !agent) throw new CountersignError('INVALID', `--agent: unknown agent "${options.agent}" (not in the config)`)
      const action = parsed.data
      if (action.target && context.source && !context.targets.has(action.target)) {
        throw new CountersignError('INVALID', `--action: unknown target "${action.target}" (not in ${context.source})`)
      }
      const analysis = analyzeAction(analyzers, action, context.targets.get(action.target))
      const input: DecisionInput = { action, target: context.targets.get(action.target), agent, facts: analysis?.facts, now, calendars: context.calendars }
      const decision = decide(compiled, input)
      if (options.json) {
        io.stdout(`${JSON.stringify({ decision, excluded: excludedRules(compiled, input), analysis }, null, 2)}\n`)
        return
      }
      io.stdout(renderExplanation(compiled, input, decision, analysis))
    })

  policy.addCommand(policyReplayCommand(io))
  policy.addCommand(policyProposeCommand(io))
  policy.addCommand(policyDiffCommand(io))

  return policy

  async function loadPolicy(file: string): Promise<CompiledPolicy> {
    const text = readText(file, 'policy')
    const analyzers: Analyzers = await loadAnalyzers()
    return compilePolicy(text, { file, factKinds: analyzers.factKinds })
  }
}

/** The config `policy check` reads, if any (as {@link loadContext}, without a note when there is none). */
function configFor(explicit: string | undefined, policyFile: string, io: CliIo): PolicyContext | undefined {
  const file = explicit ?? io.env['COUNTERSIGN_CONFIG']
  if (file) return readPolicyContext(resolve(io.cwd, file))
  const beside = join(dirname(resolve(io.cwd, policyFile)), 'countersign.yaml')
  return existsSync(beside) ? readPolicyContext(beside) : undefined
}

/** The config to read targets and agents from: `--config`, then COUNTERSIGN_CONFIG, then countersign.yaml beside the policy. */
function loadContext(explicit: string | undefined, policyFile: string, io: CliIo): PolicyContext {
  const file = explicit ?? io.env['COUNTERSIGN_CONFIG']
  if (file) return readPolicyContext(resolve(io.cwd, file))
  const beside = join(dirname(resolve(io.cwd, policyFile)), 'countersign.yaml')
  if (existsSync(beside)) return readPolicyContext(beside)
  io.stderr('note: no config found (--config, COUNTERSIGN_CONFIG or countersign.yaml beside the policy): targets have no labels\n')
  return EMPTY_POLICY_CONTEXT
}

function renderExplanation(policy: CompiledPolicy, input: DecisionInput, decision: Decision, analysis: Analysis | undefined): string {
  const lines = [`action: ${input.action.kind} on ${input.action.target || '(no target)'}${input.target ? ` (${labelsText(input.target.labels)})` : ''}`]
  if (analysis) {
    lines.push(`impact: ${analysis.summary}`)
    for (const highlight of analysis.highlights) lines.push(`  ! ${highlight}`)
  }
  lines.push(renderDecision(decision, excludedRules(policy, input)).trimEnd())
  lines.push(`policy: ${policy.file ?? 'policy'} version ${policy.version.slice(0, 12)}`)
  return `${lines.join('\n')}\n`
}

/** The decision as text: effect, why, each evaluated rule (and each excluded one, when given), each requirement. */
function renderDecision(decision: Decision, excluded: readonly { id: string; effect: string; reason: string }[] = []): string {
  const lines = [`effect: ${decision.effect}`, `why: ${decision.explanation}`, 'rules:']
  for (const rule of decision.rules) {
    lines.push(`  ${rule.matched ? '✓' : '✗'}  ${rule.id} (${rule.effect}): ${rule.reason}${rule.error ? ` [${rule.error}]` : ''}`)
  }
  for (const rule of excluded) lines.push(`  -  ${rule.id} (${rule.effect}): not selected: ${rule.reason}`)
  if (decision.rules.length === 0 && excluded.length === 0) lines.push('  (no rule was selected by its match keys)')
  for (const requirement of decision.requirements) lines.push(`requires: ${requirementText(requirement)}`)
  if (decision.shadow) {
    lines.push(`shadow (evaluated, not enforced): would be ${decision.shadow.effect}${decision.shadow.effect === decision.effect ? ' (no change)' : ''}`)
    for (const rule of decision.shadow.rules) lines.push(`  ${rule.matched ? '✓' : '✗'}  ${rule.id} (${rule.effect}, shadow): ${rule.reason}${rule.error ? ` [${rule.error}]` : ''}`)
  }
  return `${lines.join('\n')}\n`
}

function requirementText(requirement: ReviewRequirement): string {
  const who = requirement.approvers.length > 0 ? requirement.approvers.join(', ') : 'any human'
  const parts = [
    `${requirement.min_approvals} of ${who} (${requirement.rule})`,
    `expires after ${formatDuration(requirement.timeout_ms)}`,
    `run within ${formatDuration(requirement.execute_within_ms)} of approval`,
  ]
  if (requirement.reason_required) parts.push('reason required')
  if (requirement.assurance === 'passkey') parts.push('passkey required')
  if (requirement.grants) parts.push(`grants up to ${formatDuration(requirement.grants.max_ttl_ms)}, ${requirement.grants.max_uses} uses`)
  if (requirement.channels.length > 0) parts.push(`asked in ${requirement.channels.join(', ')}`)
  return parts.join('; ')
}

function labelsText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels)
  return entries.length > 0 ? entries.map(([key, value]) => `${key}=${value}`).join(', ') : 'no labels'
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '      ')
}
