import { Command } from 'commander'
import { loadAnalyzers } from '../analyzers/index.js'
import { compilePolicy, diffPolicies, type CompiledPolicy, type PolicyDiff } from '../policy/index.js'
import { helpAndOutput, printJson } from './client-command.js'
import { readText, type CliIo } from './io.js'
import { replayFromStore, renderReplay } from './policy-replay-command.js'

/** `countersign policy diff OLD NEW`: two policies rule by rule, with the replay of NEW beside it when a config names the store. */
export function policyDiffCommand(io: CliIo): Command {
  return helpAndOutput(new Command('diff').description('compare two policies rule by rule (added, removed, which parts of a rule changed, the default); with --config, also replay NEW over the store\'s history'), io, [
    'countersign policy diff policy.yaml new-policy.yaml',
    'countersign policy diff policy.yaml new-policy.yaml --config countersign.yaml --since 30d',
  ])
    .argument('<old>', 'the policy in force (YAML)')
    .argument('<new>', 'the candidate (YAML)')
    .option('--config <file>', 'replay NEW over the history in this config\'s store (an embedded store must not be in use)')
    .option('--since <when>', 'the replay window (with --config): 30d, 12h or an ISO 8601 time', '30d')
    .option('--json', 'print {diff, replay} as JSON')
    .action(async (oldFile: string, newFile: string, flags: { config?: string; since: string; json?: boolean }) => {
      const analyzers = await loadAnalyzers()
      const compile = (file: string): CompiledPolicy => compilePolicy(readText(file, 'policy'), { file, factKinds: analyzers.factKinds })
      const diff = diffPolicies(compile(oldFile), compile(newFile))
      const replay = flags.config ? await replayFromStore(io, flags.config, newFile, readText(newFile, 'policy'), { since: flags.since, targets: [], facts: 'current', limit: 100 }) : undefined
      if (flags.json) return printJson(io, { diff, ...(replay && { replay }) })
      io.stdout(renderDiff(diff, compile(newFile)))
      if (replay) io.stdout(renderReplay(replay))
    })
}

/** The diff as text: `+ id (effect)`, `- id (effect)`, `~ id: parts`, then the default and settings. */
export function renderDiff(diff: PolicyDiff, after: CompiledPolicy): string {
  const effect = (id: string) => after.rules.find((rule) => rule.id === id)?.effect
  const lines = [
    ...diff.added.map((id) => `+ ${id} (${effect(id)})`),
    ...diff.removed.map((id) => `- ${id}`),
    ...diff.changed.map((change) => `~ ${change.id}: ${change.fields.join(', ')} changed`),
    ...(diff.default ? [`default: ${diff.default.from} → ${diff.default.to}`] : []),
    ...diff.settings.map((setting) => `${setting} changed`),
  ]
  return lines.length > 0 ? `${lines.join('\n')}\n` : 'no rule differs\n'
}
