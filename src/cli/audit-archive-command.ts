import { resolve } from 'node:path'
import { Command } from 'commander'
import { CountersignError } from '../errors/index.js'
import { helpAndOutput } from './client-command.js'
import type { CliIo } from './io.js'

interface ArchiveFlags {
  readonly config: string
  readonly before: string
  readonly out: string
  readonly prune?: boolean
}

/**
 * `countersign audit archive --config F --before TIME|SIZE --out FILE [--prune]`: the retention
 * of the audit log, straight from the store (like `audit verify --config`).
 */
export function auditArchiveCommand(io: CliIo): Command {
  return helpAndOutput(
    new Command('archive').description(
      'write the audit log\'s oldest events, through the newest signed checkpoint before --before, to a new JSON-lines file with their checkpoints and inclusion proofs (it verifies alone: `audit verify --file`); with --prune, then remove them from the store, recording an audit.pruned event. The cut never splits an open action (pending, approved not yet executed, executing, break-glass awaiting review) and stays at or before every witness\'s last cosigned tree head, the newest one audit.witness_quorum witnesses cosigned, and the last event each webhook took. Reads the store directly: an embedded store must not be in use by a gateway',
    ),
    io,
    [
      'countersign audit archive --config countersign.yaml --before 2026-01-01T00:00:00Z --out audit-2025.jsonl',
      'countersign audit archive --config countersign.yaml --before 2026-01-01T00:00:00Z --out audit-2025.jsonl --prune',
      'countersign audit archive --config countersign.yaml --before 50000 --out audit-1.jsonl --prune   # through a checkpoint of at most 50000 events',
      'countersign audit verify --file audit-2025.jsonl',
    ],
  )
    .requiredOption('--config <file>', 'the gateway\'s config: its store, signing keys and witnesses')
    .requiredOption('--before <time|size>', 'an ISO 8601 time (archive through the newest checkpoint signed at or before it) or a tree size (through the newest checkpoint of at most that many events)')
    .requiredOption('--out <file>', 'the archive to write (never overwritten)')
    .option('--prune', 'after writing the archive, remove its events from the store')
    .action(async (flags: ArchiveFlags) => {
      const before = /^\d+$/.test(flags.before) ? Number(flags.before) : new Date(flags.before)
      if (typeof before !== 'number' && Number.isNaN(before.getTime())) throw new CountersignError('INVALID', `--before: expected an ISO 8601 time or a tree size, got ${JSON.stringify(flags.before)}`)
      const { loadConfig } = await import('../config/index.js')
      const { archiveAuditOffline } = await import('../server/index.js')
      const written = await archiveAuditOffline(loadConfig(resolve(io.cwd, flags.config)), { before, out: resolve(io.cwd, flags.out), prune: flags.prune === true })
      const { base, checkpoint } = written.plan
      io.stdout(`archived events ${base.seq + 1}–${checkpoint.seq} (${written.events}) through the checkpoint of ${checkpoint.at} to ${flags.out} (sha256 ${written.sha256})\n`)
      io.stdout(flags.prune ? `pruned them from the store: the log now starts after event ${checkpoint.seq}\n` : 'nothing was removed from the store (--prune removes them)\n')
    })
}
