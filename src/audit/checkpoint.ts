import { sign, verify, type KeyObject } from 'node:crypto'
import { canonicalJson } from '../action/index.js'
import { CountersignError } from '../errors/index.js'
import { HEX64, isIsoUtcMs, isRecord } from './event.js'
import type { AuditSigner } from './signer.js'
import { ed25519PublicKey, signingKeyId } from './signing-key.js'

/**
 * What a checkpoint signs (the model: CloudTrail digest files, RFC 6962 signed tree heads):
 *
 * - `seq`, `hash`: the last event covered and its stored hash, which commits to every event
 *   before it.
 * - `at`: when the checkpoint was made, ISO 8601 UTC with milliseconds.
 * - `prev_signature`: the `signature` of the previous checkpoint, `null` for the first, so
 *   removing a checkpoint breaks the checkpoint chain.
 * - `key_id`: SHA-256 of the signer's raw 32-byte Ed25519 public key, 64 lower-case hex digits.
 */
export interface CheckpointBody {
  readonly seq: number
  readonly hash: string
  readonly at: string
  readonly prev_signature: string | null
  readonly key_id: string
}

/**
 * A signed checkpoint: the body and
 * `signature = base64 (RFC 4648, padded) of Ed25519(UTF-8 of canonicalJson(body))`, where the
 * body is the five members of {@link CheckpointBody} only.
 */
export interface Checkpoint extends CheckpointBody {
  readonly signature: string
  /**
   * The signed tree head of the same moment, as a C2SP signed note (see `note.ts`): the RFC 9162
   * root of events 1..`seq`, signed by the same key, with witnesses' cosignatures appended when
   * read from the gateway. Not covered by `signature`: it carries its own. Absent on checkpoints
   * made before the log had a Merkle tree.
   */
  readonly note?: string
}

const BODY_FIELDS: readonly string[] = ['seq', 'hash', 'at', 'prev_signature', 'key_id']
const ED25519_SIGNATURE_BYTES = 64

/**
 * Signs a checkpoint body with the audit signing key.
 *
 * @throws CountersignError INVALID when the body is not well-formed, has other members, or names
 *   another key than `privateKey`'s.
 *
 * @example
 * const checkpoint = signCheckpoint({ seq: head.seq, hash: head.hash, at: now.toISOString(),
 *   prev_signature: last?.signature ?? null, key_id: key.keyId }, key.privateKey)
 */
export function signCheckpoint(body: CheckpointBody, privateKey: KeyObject): Checkpoint {
  if (privateKey.type !== 'private') throw new CountersignError('INVALID', 'checkpoints are signed with a private key')
  assertSignable(body, signingKeyId(privateKey))
  const signature = sign(null, signedBytes(body), privateKey).toString('base64')
  return { ...bodyOf(body), signature }
}

/**
 * Signs a checkpoint body with an {@link AuditSigner} (a local key, or one the gateway never
 * reads), as {@link signCheckpoint} does with a private key.
 *
 * @throws CountersignError INVALID as {@link signCheckpoint}; the signer's own errors.
 */
export async function signCheckpointWith(body: CheckpointBody, signer: AuditSigner): Promise<Checkpoint> {
  assertSignable(body, signer.keyId)
  const signature = (await signer.sign(signedBytes(body))).toString('base64')
  return { ...bodyOf(body), signature }
}

function assertSignable(body: CheckpointBody, keyId: string): void {
  const fault = describeCheckpointBodyFault(body)
  if (fault !== undefined) throw new CountersignError('INVALID', `a checkpoint ${fault}`)
  // Signing drops unknown members; refusing them keeps a caller from believing they are signed.
  const extra = Object.keys(body).find((key) => !BODY_FIELDS.includes(key))
  if (extra !== undefined) throw new CountersignError('INVALID', `a checkpoint body has an unknown member ${JSON.stringify(extra)}`)
  if (body.key_id !== keyId) throw new CountersignError('INVALID', `the checkpoint names key ${body.key_id} but the signing key is ${keyId}`)
}

/**
 * True when `checkpoint` is well-formed, names `publicKey`'s id and its signature verifies
 * with that key. Says nothing about the events: {@link verifyChain} checks those.
 *
 * @throws CountersignError INVALID when `publicKey` is not an Ed25519 key.
 */
export function verifyCheckpointSignature(checkpoint: Checkpoint, publicKey: KeyObject): boolean {
  const key = ed25519PublicKey(publicKey)
  if (describeCheckpointFault(checkpoint) !== undefined || checkpoint.key_id !== signingKeyId(key)) return false
  const signature = Buffer.from(checkpoint.signature, 'base64')
  return verify(null, signedBytes(checkpoint), key, signature)
}

/**
 * What is wrong with a signed checkpoint's shape, or `undefined`. The signature must be the
 * canonical base64 of 64 bytes: Node decodes base64 leniently, and one signature must have
 * one spelling for `prev_signature` links to be compared as text.
 */
export function describeCheckpointFault(value: unknown): string | undefined {
  const fault = describeCheckpointBodyFault(value)
  if (fault !== undefined) return fault
  const { signature } = value as Record<string, unknown>
  if (!isSignature(signature)) return 'has a signature that is not the base64 of 64 bytes'
  return undefined
}

function describeCheckpointBodyFault(value: unknown): string | undefined {
  if (!isRecord(value)) return 'is not a JSON object'
  const { seq, hash, at, prev_signature, key_id } = value
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return 'has a seq that is not a positive integer'
  if (typeof hash !== 'string' || !HEX64.test(hash)) return 'has a hash that is not 64 lower-case hex digits'
  if (!isIsoUtcMs(at)) return 'has an at that is not an ISO 8601 UTC time with milliseconds'
  if (prev_signature !== null && !isSignature(prev_signature)) return 'has a prev_signature that is neither a signature nor null'
  if (typeof key_id !== 'string' || !HEX64.test(key_id)) return 'has a key_id that is not 64 lower-case hex digits'
  return undefined
}

function isSignature(value: unknown): value is string {
  if (typeof value !== 'string') return false
  const bytes = Buffer.from(value, 'base64')
  return bytes.length === ED25519_SIGNATURE_BYTES && bytes.toString('base64') === value
}

function bodyOf(checkpoint: CheckpointBody): CheckpointBody {
  const { seq, hash, at, prev_signature, key_id } = checkpoint
  return { seq, hash, at, prev_signature, key_id }
}

function signedBytes(checkpoint: CheckpointBody): Buffer {
  return Buffer.from(canonicalJson(bodyOf(checkpoint)), 'utf8')
}
