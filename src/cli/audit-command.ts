import { createPublicKey } from 'node:crypto'
import { resolve } from 'node:path'
import { Command, Option } from 'commander'
import { CountersignError } from '../errors/index.js'
import type { AuditEventView, AuditPage, VerifyReport } from './api-types.js'
import { clientCommand, clientOf, gatewayOptions, helpAndOutput, printJson, type ClientFlags } from './client-command.js'
import { escapeInline } from '../action/index.js'
import { readText, type CliIo } from './io.js'
import { isArchive, parseArchive, parseCheckpoint, toCloudEvent, toOcsf, verifyArchive, verifyChain, type SignedCheckpoint } from '../audit/index.js'
import { auditProofCommand } from './audit-proof-command.js'
import { readAuditLog } from './audit-source.js'
import { auditWitnessCommand } from './audit-witness-command.js'
import { auditArchiveCommand } from './audit-archive-command.js'

/** Events asked for per request while exporting (the API allows up to 5000). */
const PAGE_SIZE = 1000

/** The columns of `audit export --format csv`, in order. */
export const CSV_COLUMNS = ['seq', 'at', 'type', 'action_id', 'actor', 'channel', 'digest', 'policy_version', 'hash', 'data'] as const

/**
 * Prints a verification report: `audit chain OK: …` or each problem as `seq N: kind: message`.
 * Returns whether the chain verified, for the caller's exit code. Shared by the online check
 * (`GET /v1/audit/verify`) and an offline one reading the store directly.
 */
export function printVerifyReport(report: VerifyReport, io: CliIo): boolean {
  const counts = `${report.events} event${report.events === 1 ? '' : 's'}, ${report.checkpoints} checkpoint${report.checkpoints === 1 ? '' : 's'}`
  const head = report.head ? `head seq ${report.head.seq} hash ${report.head.hash.slice(0, 16)}…` : 'empty log'
  const warnings = report.warnings ?? []
  const noted = warnings.length > 0 ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''
  if (report.ok) io.stdout(`audit chain OK: ${counts}, ${head}${noted}\n`)
  else io.stdout(`audit chain NOT OK: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} in ${counts}, ${head}${noted}\n`)
  for (const problem of report.problems) io.stdout(`seq ${problem.seq}: ${escapeInline(problem.kind)}: ${escapeInline(problem.message)}\n`)
  // Not tampering, so not a failure: but the times around it are not to be trusted.
  for (const warning of warnings) io.stdout(`warning: seq ${warning.seq}: ${escapeInline(warning.kind)}: ${escapeInline(warning.message)}\n`)
  return report.ok
}

interface ExportFlags extends ClientFlags {
  readonly since: string
  readonly format: 'jsonl' | 'csv' | 'ocsf' | 'cloudevents'
  readonly origin?: string
}

/** `countersign audit verify` and `countersign audit export`. */
export function auditCommand(io: CliIo): Command {
  const audit = helpAndOutput(new Command('audit').description('verify and export the tamper-evident audit log (auditors and admins)'), io, [
    'countersign audit verify',
    'countersign audit export --format csv > audit.csv',
    'countersign audit witness --log https://countersign.example.com --state ~/.countersign-witness',
    'countersign audit archive --config countersign.yaml --before 2026-01-01T00:00:00Z --out audit-2025.jsonl --prune',
  ])

  audit.addCommand(gatewayOptions(verifyCommand(io)))
  audit.addCommand(gatewayOptions(exportCommand(io), { json: false }))
  audit.addCommand(auditWitnessCommand(io))
  audit.addCommand(auditProofCommand(io))
  audit.addCommand(auditArchiveCommand(io))
  return audit
}

interface VerifyFlags extends ClientFlags {
  readonly config?: string
  readonly file?: string
  readonly checkpoint?: string
  readonly key?: readonly string[]
}

function verifyCommand(io: CliIo): Command {
  const description = 'verify the whole audit chain and its signed checkpoints, through the gateway or (--config) straight from its store; with --checkpoint, also that the log still contains a checkpoint saved outside it; exit 1 when anything was modified, removed, inserted, reordered or rewritten'
  return clientCommand('verify', description, io, [
    'countersign audit verify',
    'countersign audit verify --json',
    'countersign audit verify --config /etc/countersign.yaml   # offline, from the store',
    'countersign audit verify --checkpoint witness-state/checkpoint   # against a tree head kept elsewhere',
    'countersign audit verify --checkpoint saved.checkpoint --file audit.jsonl',
    'countersign audit verify --file audit-2025.jsonl --key audit-ed25519.pub   # an archive, alone',
  ])
    .option('--config <file>', 'read the store of this config directly instead of asking the gateway (an embedded store must not be in use)')
    .option('--checkpoint <file>', 'a signed checkpoint saved outside the log (a witness\'s, or one fetched from /v1/audit/checkpoints): the log must contain it')
    .option('--file <file>', 'verify an archive (`audit archive --out`) alone, offline: its events, checkpoints and proofs; or, with --checkpoint, the events of an `audit export` file')
    .option('--key <pem...>', 'with --file ARCHIVE: the log\'s public keys (PEM files) to check its checkpoints with, instead of the keys the archive carries')
    .action(async (flags: VerifyFlags) => {
      const anchor = flags.checkpoint === undefined ? undefined : parseCheckpoint(readText(resolve(io.cwd, flags.checkpoint), 'the checkpoint'))
      const archive = flags.file === undefined ? undefined : readText(resolve(io.cwd, flags.file), 'the audit file')
      if (archive !== undefined && isArchive(archive)) {
        const keys = flags.key?.map((file) => createPublicKey(readText(resolve(io.cwd, file), 'the public key')))
        const report = (await verifyArchive(parseArchive(archive, flags.file), { ...(keys && { publicKeys: keys }), ...(anchor && { anchors: [anchor] }) })) as VerifyReport
        if (flags.json) printJson(io, report)
        else if (printVerifyReport(report, io) && keys === undefined) io.stdout('checked with the keys the archive carries: compare their ids with the log\'s (`countersign audit verify --json`, audit.signing_key) or pass them with --key\n')
        if (!report.ok) io.setExitCode?.(1)
        return
      }
      if (flags.file !== undefined && anchor === undefined) throw new CountersignError('INVALID', '--file needs --checkpoint unless it is an archive (the gateway and the store verify their own checkpoints)')
      let report: VerifyReport
      if (flags.config !== undefined && flags.file === undefined) report = await verifyOffline(flags.config, io, anchor)
      else if (anchor !== undefined) report = (await verifyChain(await readAuditLog(flags, io), { anchors: [anchor] })) as VerifyReport
      else report = await clientOf(flags, io).request<VerifyReport>('GET', '/v1/audit/verify')
      if (flags.json) printJson(io, report)
      else {
        printVerifyReport(report, io)
        if (anchor !== undefined && report.ok) io.stdout(`the log contains the checkpoint of ${anchor.size} events (root ${anchor.root.toString('base64')}) saved outside it\n`)
      }
      if (!report.ok) io.setExitCode?.(1)
    })
}

async function verifyOffline(file: string, io: CliIo, anchor: SignedCheckpoint | undefined): Promise<VerifyReport> {
  // Loaded here: only this mode needs the store.
  const { loadConfig } = await import('../config/index.js')
  const { verifyAuditOffline } = await import('../server/index.js')
  return verifyAuditOffline(loadConfig(resolve(io.cwd, file)), anchor ? { anchors: [anchor] } : {})
}

function exportCommand(io: CliIo): Command {
  return clientCommand('export', 'write audit events to stdout in order, page by page: JSON lines (as stored, with their hashes), CSV, or for a SIEM one OCSF event or CloudEvents envelope per line', io, [
    'countersign audit export > audit.jsonl',
    'countersign audit export --since 1200 --format csv > audit.csv',
    'countersign audit export --format ocsf > audit.ocsf.jsonl   # Splunk, Datadog, Elastic, Security Lake',
    'countersign audit export --format cloudevents --since 5000',
  ])
    .option('--since <seq>', 'only events after this sequence number', '0')
    .addOption(new Option('--format <format>', 'jsonl: one {seq, prev_hash, hash, event} per line; csv: ' + CSV_COLUMNS.join(',') + '; ocsf: OCSF 1.3.0 (API Activity, Account Change, Application Lifecycle); cloudevents: CloudEvents 1.0 JSON').choices(['jsonl', 'csv', 'ocsf', 'cloudevents']).default('jsonl'))
    .option('--origin <origin>', 'the log\'s name in OCSF and CloudEvents ids (default: the origin of its newest signed checkpoint)')
    .action(async (flags: ExportFlags) => {
      if (!/^\d+$/.test(flags.since)) throw new CountersignError('INVALID', `--since: expected a sequence number, got ${JSON.stringify(flags.since)}`)
      const client = clientOf(flags, io)
      const origin = flags.format === 'ocsf' || flags.format === 'cloudevents' ? (flags.origin ?? (await originOf(client))) : ''
      const line = (stored: AuditEventView): string => {
        if (flags.format === 'csv') return csvRow(stored)
        if (flags.format === 'ocsf') return JSON.stringify(toOcsf(stored, origin))
        if (flags.format === 'cloudevents') return JSON.stringify(toCloudEvent(stored, origin))
        return JSON.stringify(stored)
      }
      if (flags.format === 'csv') io.stdout(`${CSV_COLUMNS.join(',')}\n`)
      let since = Number(flags.since)
      for (;;) {
        const page = await client.request<AuditPage>('GET', '/v1/audit', { query: { since, limit: PAGE_SIZE } })
        if (page.events.length === 0) break
        io.stdout(page.events.map(line).join('\n') + '\n')
        since = page.events.at(-1)?.seq ?? since
        if (since >= page.head.seq) break
      }
    })
}

/** The origin line of the log's newest signed checkpoint, or the default one. */
async function originOf(client: ReturnType<typeof clientOf>): Promise<string> {
  const { checkpoints } = await client.request<{ checkpoints: readonly { note: string }[] }>('GET', '/v1/audit/checkpoints', { query: { limit: 1 } })
  return checkpoints.at(-1)?.note.split('\n')[0] || 'countersign/audit'
}

function csvRow(stored: AuditEventView): string {
  const event = stored.event
  const values = [stored.seq, event['at'], event['type'], event['action_id'], event['actor'], event['channel'], event['digest'], event['policy_version'], stored.hash, JSON.stringify(event['data'] ?? {})]
  return values.map(csvField).join(',')
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled; null is empty. */
function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
