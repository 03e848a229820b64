import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { CountersignError } from '../errors/index.js'
import type { AuditSigner } from './signer.js'
import { ed25519PublicKey, rawPublicKey } from './signing-key.js'

/**
 * Signed tree heads in the C2SP formats (c2sp.org/tlog-checkpoint, c2sp.org/signed-note,
 * c2sp.org/tlog-cosignature), so that standard witnesses and verifiers can read them:
 *
 * ```
 * <origin>\n<tree size, decimal>\n<root hash, base64>\n
 * \n
 * — <key name> <base64(key hash ‖ signature)>\n   (one line per signature)
 * ```
 *
 * The log signs the body with Ed25519 under its origin (key hash: first 4 bytes of
 * `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)`). A witness cosigns with `cosignature/v1`
 * (algorithm 0x04): it signs `cosignature/v1\ntime <unix seconds>\n` followed by the body, and its
 * line carries `key hash ‖ 8-byte big-endian time ‖ signature`.
 */

/** Signature algorithm bytes of c2sp.org/signed-note. */
const ED25519 = 0x01
const COSIGNATURE_V1 = 0x04
const EM_DASH = '\u2014'
const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/
const ORIGIN = /^[\x21-\x7e][\x20-\x7e]*$/
const NAME = /^[\x21-\x2a\x2c-\x7e]+$/

/** A tree head as checkpoints carry it. */
export interface TreeHead {
  /** The log's identity, e.g. `countersign.example.com/audit`. */
  readonly origin: string
  /** How many events the tree has. */
  readonly size: number
  /** The RFC 9162 root hash, 32 bytes. */
  readonly root: Buffer
}

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string
  /** The first 4 bytes of the signer's key hash: which key signed (the key id of c2sp.org/signed-note). */
  readonly keyHash: Buffer
  /** The bytes after the key hash: the signature (and, for a cosignature, its time before it). */
  readonly signature: Buffer
  /** The line as written, without its newline. */
  readonly line: string
}

/** A parsed signed checkpoint. */
export interface SignedCheckpoint extends TreeHead {
  /** The signed text: the three lines with their newlines. */
  readonly body: string
  readonly signatures: readonly NoteSignature[]
}

/** The checkpoint body of a tree head: `origin\nsize\nbase64(root)\n`. */
export function checkpointBody(head: TreeHead): string {
  if (!ORIGIN.test(head.origin)) throw new CountersignError('INVALID', 'a log origin is one line of printable ASCII')
  if (!Number.isSafeInteger(head.size) || head.size < 0) throw new CountersignError('INVALID', 'a tree size is a non-negative integer')
  if (head.root.length !== 32) throw new CountersignError('INVALID', 'a root hash has 32 bytes')
  return `${head.origin}\n${head.size}\n${head.root.toString('base64')}\n`
}

/** The 4-byte key hash of a signed-note key: `SHA-256(name ‖ 0x0A ‖ algorithm ‖ raw public key)[0:4]`. */
export function noteKeyHash(name: string, publicKey: KeyObject, algorithm: number = ED25519): Buffer {
  return createHash('sha256')
    .update(`${name}\n`, 'utf8')
    .update(Buffer.from([algorithm]))
    .update(rawPublicKey(ed25519PublicKey(publicKey)))
    .digest()
    .subarray(0, 4)
}

/**
 * Signs a checkpoint body as the log: returns the signature line (without its newline).
 *
 * @example
 * const body = checkpointBody({ origin, size: 42, root })
 * const note = `${body}\n${signNote(body, origin, key.privateKey)}\n`
 */
export function signNote(body: string, name: string, privateKey: KeyObject): string {
  assertName(name)
  return noteSignatureLine(name, privateKey, sign(null, Buffer.from(body, 'utf8'), privateKey))
}

/** Signs a checkpoint body as the log with an {@link AuditSigner}, as {@link signNote} does with a private key. */
export async function signNoteWith(body: string, name: string, signer: AuditSigner): Promise<string> {
  assertName(name)
  return noteSignatureLine(name, signer.publicKey, await signer.sign(Buffer.from(body, 'utf8')))
}

function noteSignatureLine(name: string, key: KeyObject, signature: Buffer): string {
  return `${EM_DASH} ${name} ${Buffer.concat([noteKeyHash(name, key), signature]).toString('base64')}`
}

/** Cosigns a checkpoint body as a witness (c2sp.org/tlog-cosignature), at `time` (unix seconds). */
export function cosignNote(body: string, name: string, privateKey: KeyObject, time: number): string {
  assertName(name)
  const stamp = Buffer.alloc(8)
  stamp.writeBigUInt64BE(BigInt(time))
  const signature = sign(null, cosignedMessage(body, time), privateKey)
  return `${EM_DASH} ${name} ${Buffer.concat([noteKeyHash(name, privateKey, COSIGNATURE_V1), stamp, signature]).toString('base64')}`
}

/**
 * Parses a signed checkpoint: body, blank line, one or more signature lines.
 *
 * @throws CountersignError INVALID when the text is not one.
 */
export function parseCheckpoint(text: string): SignedCheckpoint {
  const split = text.indexOf('\n\n')
  if (split < 0 || !text.endsWith('\n')) throw new CountersignError('INVALID', 'a checkpoint is a body, a blank line and signature lines, each ending in a newline')
  const body = text.slice(0, split + 1)
  const lines = body.slice(0, -1).split('\n')
  const [origin, sizeText, rootText] = lines
  if (lines.length < 3 || origin === undefined || !ORIGIN.test(origin)) throw new CountersignError('INVALID', 'a checkpoint body starts with its origin, tree size and root hash')
  if (sizeText === undefined || !/^(?:0|[1-9]\d*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new CountersignError('INVALID', 'a checkpoint has a tree size that is not a decimal integer')
  const root = Buffer.from(rootText ?? '', 'base64')
  if (root.length !== 32 || root.toString('base64') !== rootText) throw new CountersignError('INVALID', 'a checkpoint has a root hash that is not the base64 of 32 bytes')
  const signatures = parseSignatureLines(text.slice(split + 2))
  if (signatures.length === 0) throw new CountersignError('INVALID', 'a checkpoint has no signature')
  return { origin, size: Number(sizeText), root, body, signatures }
}

/** Parses signature lines (each `— name base64`, each ending in a newline). */
export function parseSignatureLines(text: string): NoteSignature[] {
  if (text !== '' && !text.endsWith('\n')) throw new CountersignError('INVALID', 'signature lines end in a newline')
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => {
      const match = SIGNATURE_LINE.exec(line)
      const bytes = Buffer.from(match?.[2] ?? '', 'base64')
      if (!match || bytes.length < 5 || bytes.toString('base64') !== match[2]) throw new CountersignError('INVALID', `not a note signature line: ${JSON.stringify(line.slice(0, 80))}`)
      return { name: match[1] as string, keyHash: bytes.subarray(0, 4), signature: bytes.subarray(4), line }
    })
}

/** True when `signature` is the log's Ed25519 signature of `body` by `publicKey` under `name`. */
export function verifyNoteSignature(body: string, signature: NoteSignature, name: string, publicKey: KeyObject): boolean {
  if (signature.name !== name || !signature.keyHash.equals(noteKeyHash(name, publicKey)) || signature.signature.length !== 64) return false
  return verify(null, Buffer.from(body, 'utf8'), ed25519PublicKey(publicKey), signature.signature)
}

/** The time of a valid cosignature (unix seconds), or `undefined` when it does not verify with `publicKey` under `name`. */
export function verifyCosignature(body: string, signature: NoteSignature, name: string, publicKey: KeyObject): number | undefined {
  if (signature.name !== name || !signature.keyHash.equals(noteKeyHash(name, publicKey, COSIGNATURE_V1)) || signature.signature.length !== 72) return undefined
  const time = signature.signature.readBigUInt64BE(0)
  if (time > BigInt(Number.MAX_SAFE_INTEGER)) return undefined
  return verify(null, cosignedMessage(body, Number(time)), ed25519PublicKey(publicKey), signature.signature.subarray(8)) ? Number(time) : undefined
}

/** A witness's verifier key as `audit.witnesses` lists it. */
export interface WitnessKey {
  readonly name: string
  readonly publicKey: KeyObject
}

/**
 * The verifier key text of a witness (c2sp.org/signed-note "vkey"):
 * `<name>+<hex key hash>+<base64(0x04 ‖ raw public key)>`.
 */
export function formatWitnessKey(name: string, publicKey: KeyObject): string {
  assertName(name)
  return `${name}+${noteKeyHash(name, publicKey, COSIGNATURE_V1).toString('hex')}+${Buffer.concat([Buffer.from([COSIGNATURE_V1]), rawPublicKey(ed25519PublicKey(publicKey))]).toString('base64')}`
}

/**
 * Parses a witness verifier key (see {@link formatWitnessKey}).
 *
 * @throws CountersignError INVALID when it is not one, or its key hash does not match.
 */
export function parseWitnessKey(text: string): WitnessKey {
  // The base64 key may itself contain "+": the name and hex hash never do.
  const match = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(text)
  const [, name, hash, key] = match ?? []
  const raw = Buffer.from(key ?? '', 'base64')
  if (!match || name === undefined || !NAME.test(name) || raw.length !== 33 || raw[0] !== COSIGNATURE_V1) {
    throw new CountersignError('INVALID', 'a witness key is NAME+HEXHASH+BASE64 with an Ed25519 cosignature/v1 key (as `countersign audit witness` prints)')
  }
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.subarray(1).toString('base64url') }, format: 'jwk' })
  if (noteKeyHash(name, publicKey, COSIGNATURE_V1).toString('hex') !== hash) throw new CountersignError('INVALID', `the witness key of ${name} has a key hash that does not match its key`)
  return { name, publicKey }
}

function cosignedMessage(body: string, time: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${body}`, 'utf8')
}

function assertName(name: string): void {
  if (!NAME.test(name)) throw new CountersignError('INVALID', `a signer name is printable ASCII without spaces or "+": ${JSON.stringify(name)}`)
}
