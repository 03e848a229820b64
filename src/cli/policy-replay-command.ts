import { resolve } from 'node:path'
import { Option } from 'commander'
import { CountersignError } from '../errors/index.js'
import type { ReplayReport } from '../service/index.js'
import { clientCommand, clientOf, gatewayOptions, printJson, type ClientFlags } from './client-command.js'
import { readText, type CliIo } from './io.js'

interface ReplayFlags extends ClientFlags {
  readonly since: string
  readonly until?: string
  readonly target: readonly string[]
  readonly facts: 'current' | 'recorded'
  readonly limit: string
  readonly config?: string
  readonly failOnChange?: boolean
}

/** `countersign policy replay F`: what a candidate policy would have decided for the stored history. */
export function policyReplayCommand(io: CliIo) {
  const command = clientCommand(
    'replay',
    'decide the stored actions of a window again under a candidate policy and report every action whose effect would change: counts by (old → new) effect, the rules responsible, the actions with links. From the store (--config) or through the gateway (auditors, admins)',
    io,
    [
      'countersign policy replay new-policy.yaml --config countersign.yaml',
      'countersign policy replay new-policy.yaml --since 7d --target prod-db --json   # through the gateway',
      'countersign policy replay new-policy.yaml --config countersign.yaml --fail-on-change   # in CI',
    ],
  )
    .argument('<file>', 'the candidate policy (YAML)')
    .option('--since <when>', 'the window starts this long ago (30d, 12h) or at this ISO 8601 time', '30d')
    .option('--until <when>', 'the window ends this long ago or at this time (default: now)')
    .option('--target <name>', 'only actions on this target (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .addOption(new Option('--facts <source>', 'current: analyze each payload again; recorded: decide on the facts recorded at submission').choices(['current', 'recorded']).default('current'))
    .option('--limit <n>', 'list at most this many changed actions (all are counted)', '1000')
    .option('--config <file>', 'read the store of this config directly instead of asking the gateway (an embedded store must not be in use)')
    .option('--fail-on-change', 'exit 1 when any action would be decided differently')
  gatewayOptions(command)
  return command.action(async (file: string, flags: ReplayFlags) => {
    const text = readText(file, 'policy')
    if (!/^[1-9]\d{0,5}$/.test(flags.limit)) throw new CountersignError('INVALID', `--limit: expected a whole number from 1 to 999999, got ${JSON.stringify(flags.limit)}`)
    const request = { since: flags.since, ...(flags.until !== undefined && { until: flags.until }), targets: flags.target, facts: flags.facts, limit: Number(flags.limit) }
    const report = flags.config ? await replayFromStore(io, flags.config, file, text, request) : await clientOf(flags, io).request<ReplayReport>('POST', '/v1/policy/replay', { body: { policy: text, ...request } })
    if (flags.json) printJson(io, report)
    else io.stdout(renderReplay(report))
    if (flags.failOnChange && report.changed > 0) io.setExitCode?.(1)
  })

}

/** A replay straight from the store a config names (`--config`). */
export async function replayFromStore(io: CliIo, configFile: string, file: string, text: string, request: { since: string; until?: string; targets: readonly string[]; facts: 'current' | 'recorded'; limit: number }): Promise<ReplayReport> {
  // Loaded here: only this mode needs the store and the analyzers.
  const [{ loadConfig }, { replayOffline }, { windowStart }] = await Promise.all([import('../config/index.js'), import('../server/index.js'), import('../service/index.js')])
  const now = new Date()
  const since = windowStart(request.since, now)
  if (!since) throw new CountersignError('INVALID', `--since: expected a duration such as 30d or 12h, or an ISO 8601 time, got ${JSON.stringify(request.since)}`)
  const until = request.until === undefined ? undefined : windowStart(request.until, now)
  if (request.until !== undefined && !until) throw new CountersignError('INVALID', `--until: expected a duration such as 1d, or an ISO 8601 time, got ${JSON.stringify(request.until)}`)
  const config = loadConfig(resolve(io.cwd, configFile))
  for (const target of request.targets) {
    if (!config.targets.some((known) => known.name === target)) throw new CountersignError('INVALID', `--target: unknown target "${target}" (not in ${configFile})`)
  }
  return replayOffline(config, { text, file }, { since, until, targets: request.targets, facts: request.facts, maxChanges: request.limit })
}

/** The report as text: the window, the changes by effect, the rules responsible, then each changed action with its link. */
export function renderReplay(report: ReplayReport): string {
  const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
  const window = `since ${report.since}${report.until ? ` until ${report.until}` : ''}${report.targets ? ` on ${report.targets.join(', ')}` : ''}`
  const lines = [
    `replayed ${count(report.replayed, 'action')} ${window} under policy ${report.policy_version.slice(0, 12)} (facts: ${report.facts.analyzed.toLocaleString('en-US')} analyzed again, ${report.facts.recorded.toLocaleString('en-US')} as recorded)`,
  ]
  if (report.changed === 0) {
    lines.push('no decision would change')
  } else {
    lines.push(`${count(report.changed, 'action')} would be decided differently:`)
    for (const pair of report.effects.filter((effect) => effect.from !== effect.to)) lines.push(`  ${pair.from} → ${pair.to}: ${pair.actions.toLocaleString('en-US')}`)
    lines.push('rules responsible:')
    for (const rule of report.rules) lines.push(`  ${rule.rule}: ${count(rule.actions, 'action')}`)
    lines.push('changed actions:')
    for (const change of report.changes) {
      const who = change.agent ? ` by ${change.agent}` : ''
      lines.push(`  ${change.id}  ${change.at}  ${change.kind} on ${change.target}${who}`)
      lines.push(`    ${change.before.effect} [${change.before.rules.join(', ') || 'default'}] → ${change.after.effect} [${change.after.rules.join(', ') || 'default'}], because of ${change.responsible.join(', ')}`)
      if (change.link) lines.push(`    ${change.link}`)
    }
    if (report.truncated) lines.push(`  … and ${count(report.changed - report.changes.length, 'more action')} (raise --limit to list them)`)
  }
  if (report.shadow.length > 0) {
    lines.push('shadow rules of the candidate (evaluated, not enforced):')
    for (const rule of report.shadow) lines.push(`  ${rule.rule} (${rule.effect}): applied to ${count(rule.actions, 'action')}, would change ${rule.would_change.toLocaleString('en-US')}`)
  }
  const same = report.effects.filter((effect) => effect.from === effect.to)
  if (same.length > 0) lines.push(`unchanged: ${same.map((effect) => `${effect.from} ${effect.actions.toLocaleString('en-US')}`).join(', ')}`)
  return `${lines.join('\n')}\n`
}
