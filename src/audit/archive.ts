import { createPublicKey, type KeyObject } from 'node:crypto'
import { CountersignError } from '../errors/index.js'
import type { Checkpoint } from './checkpoint.js'
import { HEX64, isRecord, type StoredAuditEvent } from './event.js'
import { leafHash, verifyInclusion } from './merkle.js'
import { parseCheckpoint, type SignedCheckpoint } from './note.js'
import { verifyChain, type VerifyReport } from './verify-chain.js'

/**
 * An archive of the audit log's oldest events (`countersign audit archive`): JSON lines, each one
 * object, self-contained so that it verifies offline with nothing else (`audit verify --file`):
 *
 * 1. the header: `{"format": "countersign-audit-archive/1", "origin", "through_seq", "base":
 *    {"seq", "hash", "frontier"}, "public_keys": [SPKI PEM…]}`: the events run from
 *    `base.seq + 1` (1 unless an earlier archive took the ones before, whose chain hash and
 *    compact range `base` gives) through `through_seq`; the keys are the log's checkpoint keys;
 * 2. `{"checkpoint": {…}}` for every signed checkpoint up to `through_seq`, oldest first, the
 *    last one of exactly `through_seq` events (its tree head is what the proofs are against);
 * 3. `{"seq", "prev_hash", "hash", "event", "proof"}` for each event: the stored row and its
 *    RFC 9162 inclusion proof (base64 hashes) in the tree of that last checkpoint.
 */
export const ARCHIVE_FORMAT = 'countersign-audit-archive/1'

/** The first line of an archive. */
export interface ArchiveHeader {
  readonly format: typeof ARCHIVE_FORMAT
  readonly origin: string
  readonly through_seq: number
  readonly base: { readonly seq: number; readonly hash: string; readonly frontier: readonly string[] }
  readonly public_keys: readonly string[]
}

/** An archived event: the stored row and its inclusion proof. */
export interface ArchivedEvent extends StoredAuditEvent {
  readonly proof: readonly string[]
}

/** A parsed archive. */
export interface Archive {
  readonly header: ArchiveHeader
  readonly checkpoints: readonly Checkpoint[]
  readonly events: readonly ArchivedEvent[]
}

/** True when `text` starts like an archive (rather than an `audit export`). */
export function isArchive(text: string): boolean {
  return text.startsWith(`{"format":"${ARCHIVE_FORMAT}"`)
}

/**
 * Parses an archive's lines. Shapes only: what they say is checked by {@link verifyArchive}.
 *
 * @throws CountersignError INVALID when a line is not JSON or not one of the three kinds.
 */
export function parseArchive(text: string, file = 'the archive'): Archive {
  const lines = text.split('\n').filter((line) => line !== '')
  const values = lines.map((line, index) => {
    try {
      return JSON.parse(line) as unknown
    } catch {
      throw new CountersignError('INVALID', `${file} line ${index + 1} is not JSON`)
    }
  })
  const [header, ...rest] = values
  if (!isHeader(header)) throw new CountersignError('INVALID', `${file} does not start with a ${ARCHIVE_FORMAT} header`)
  const checkpoints: Checkpoint[] = []
  const events: ArchivedEvent[] = []
  for (const [index, value] of rest.entries()) {
    if (isRecord(value) && isRecord(value['checkpoint'])) checkpoints.push(value['checkpoint'] as unknown as Checkpoint)
    else if (isRecord(value) && typeof value['seq'] === 'number' && typeof value['event'] === 'string' && Array.isArray(value['proof'])) events.push(value as unknown as ArchivedEvent)
    else throw new CountersignError('INVALID', `${file} line ${index + 2} is neither a checkpoint nor an archived event`)
  }
  return { header, checkpoints, events }
}

/**
 * Verifies an archive alone: its events chain from its base to its last checkpoint, every
 * checkpoint is signed by one of `publicKeys` (by default the keys it carries: compare their ids
 * with the log's published keys, or pass those), its tree heads match the events, each event's
 * inclusion proof verifies against the last tree head, and any `anchors` (checkpoints saved
 * outside, e.g. a witness's) are in it.
 */
export async function verifyArchive(archive: Archive, options: { readonly publicKeys?: readonly KeyObject[]; readonly anchors?: readonly SignedCheckpoint[] } = {}): Promise<VerifyReport> {
  const { header, checkpoints, events } = archive
  const publicKeys = options.publicKeys ?? header.public_keys.map((pem) => createPublicKey(pem))
  const base = header.base.seq === 0 ? {} : { base: { seq: header.base.seq, hash: header.base.hash, frontier: header.base.frontier.map((hash) => Buffer.from(hash, 'base64')) } }
  const report = await verifyChain(events, { ...base, checkpoints, publicKeys, anchors: options.anchors ?? [] })
  const problems = [...report.problems]
  const last = checkpoints.at(-1)
  let root: Buffer | undefined
  try {
    root = last?.note === undefined || last.seq !== header.through_seq ? undefined : parseCheckpoint(last.note).root
  } catch {
    root = undefined // reported by verifyChain as a bad checkpoint
  }
  if (root === undefined) {
    problems.push({ seq: header.through_seq, kind: 'bad_checkpoint', message: `the archive says it runs through event ${header.through_seq} but does not end with a signed tree head of that many events` })
  } else {
    const unproven = events.filter((event) => !verifyInclusion(leafHash(event.event), event.seq - 1, header.through_seq, event.proof.map((hash) => Buffer.from(String(hash), 'base64')), root as Buffer))
    for (const event of unproven.slice(0, 100)) problems.push({ seq: event.seq, kind: 'rewritten', message: `event ${event.seq}'s inclusion proof does not verify against the tree head of ${header.through_seq} events` })
  }
  return { ...report, ok: problems.length === 0, problems: problems.sort((a, b) => a.seq - b.seq) }
}

function isHeader(value: unknown): value is ArchiveHeader {
  if (!isRecord(value) || value['format'] !== ARCHIVE_FORMAT || typeof value['origin'] !== 'string') return false
  const { through_seq, base, public_keys } = value
  return (
    typeof through_seq === 'number' && Number.isSafeInteger(through_seq) && through_seq >= 1 &&
    isRecord(base) && typeof base['seq'] === 'number' && Number.isSafeInteger(base['seq']) && base['seq'] >= 0 && base['seq'] < through_seq &&
    typeof base['hash'] === 'string' && HEX64.test(base['hash']) && Array.isArray(base['frontier']) && base['frontier'].every((hash) => typeof hash === 'string') &&
    Array.isArray(public_keys) && public_keys.every((pem) => typeof pem === 'string')
  )
}
