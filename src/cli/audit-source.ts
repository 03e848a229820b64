import { resolve } from 'node:path'
import { canonicalJson } from '../action/index.js'
import type { StoredAuditEvent } from '../audit/index.js'
import { CountersignError } from '../errors/index.js'
import type { AuditPage } from './api-types.js'
import { clientOf, type ClientFlags } from './client-command.js'
import { readText, type CliIo } from './io.js'

/** Events asked for per request while reading the log from the gateway (the API allows up to 5000). */
const PAGE_SIZE = 5000

/** Where the CLI reads the whole log from: a config's store, an exported file, or the gateway. */
export interface AuditSourceFlags extends ClientFlags {
  readonly config?: string
  readonly file?: string
}

/**
 * Every event of the log as stored (the canonical text that is hashed), from `--config` (the
 * store, offline), `--file` (JSON lines of `audit export`) or the gateway's `GET /v1/audit`.
 */
export async function readAuditLog(flags: AuditSourceFlags, io: CliIo): Promise<StoredAuditEvent[]> {
  if (flags.config !== undefined && flags.file !== undefined) throw new CountersignError('INVALID', 'give --config or --file, not both')
  if (flags.file !== undefined) return parseExport(readText(resolve(io.cwd, flags.file), 'the audit export'), flags.file)
  if (flags.config !== undefined) {
    const { loadConfig } = await import('../config/index.js')
    const { readAuditOffline } = await import('../server/index.js')
    return readAuditOffline(loadConfig(resolve(io.cwd, flags.config)))
  }
  const client = clientOf(flags, io)
  const events: StoredAuditEvent[] = []
  for (let since = 0; ; ) {
    const page = await client.request<AuditPage>('GET', '/v1/audit', { query: { since, limit: PAGE_SIZE } })
    for (const view of page.events) events.push({ seq: view.seq, prev_hash: view.prev_hash, hash: view.hash, event: canonicalJson(view.event) })
    if (page.events.length === 0) break
    since = page.events.at(-1)?.seq ?? since
    if (since >= page.head.seq) break
  }
  return events
}

/**
 * The lines of `audit export --format jsonl`: `{seq, prev_hash, hash, event}` with `event` as an
 * object (re-serialized canonically: the stored text is canonical, so this is the same text) or
 * as the stored string.
 */
export function parseExport(text: string, file: string): StoredAuditEvent[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      let row: Record<string, unknown>
      try {
        row = JSON.parse(line) as Record<string, unknown>
      } catch {
        throw new CountersignError('INVALID', `${file} line ${index + 1} is not JSON`)
      }
      const { seq, prev_hash, hash, event } = row
      if (typeof seq !== 'number' || typeof prev_hash !== 'string' || typeof hash !== 'string' || (typeof event !== 'string' && (typeof event !== 'object' || event === null))) {
        throw new CountersignError('INVALID', `${file} line ${index + 1} is not an exported audit event {seq, prev_hash, hash, event}`)
      }
      return { seq, prev_hash, hash, event: typeof event === 'string' ? event : canonicalJson(event) }
    })
}
