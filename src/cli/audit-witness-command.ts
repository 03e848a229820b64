import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import { Command, Option } from 'commander'
import { cosignNote, formatWitnessKey, judgeCheckpoint, parseCheckpoint, verifyNoteSignature, type SignedCheckpoint } from '../audit/index.js'
import { CountersignError } from '../errors/index.js'
import { escapeInline } from '../action/index.js'
import { ApiClient } from './http-client.js'
import { clientCommand, tokenOf, type ClientFlags } from './client-command.js'
import type { CliIo } from './io.js'

/** The files of a witness's state directory. */
const KEY_FILE = 'witness-ed25519.pem'
const NAME_FILE = 'name'
const VKEY_FILE = 'witness.vkey'
const CHECKPOINT_FILE = 'checkpoint'
const LOG_KEYS_FILE = 'log-keys.json'

interface WitnessFlags extends ClientFlags {
  readonly log: string
  readonly state: string
  readonly name?: string
}

interface CheckpointsAnswer {
  readonly checkpoints: readonly { readonly tree_size: number; readonly at: string; readonly note: string }[]
}

/**
 * `countersign audit witness --log URL --state DIR`: one round of an outside witness. It fetches
 * the log's newest signed tree head, checks the log's signature (keys pinned on first contact),
 * checks that it extends the tree head it cosigned last (consistency proof), cosigns it with its
 * own Ed25519 key and posts the cosignature. A fork or a rollback is refused: exit 1, state kept.
 */
export function auditWitnessCommand(io: CliIo): Command {
  return clientCommand(
    'witness',
    'witness the audit log from outside: verify that its newest signed tree head extends the last one this witness saw, cosign it and post the cosignature; exit 1 on a fork or rollback',
    io,
    ['countersign audit witness --log https://countersign.example.com --state ~/.countersign-witness', 'countersign audit witness --log https://countersign.example.com --state /var/lib/witness --name witness.security.example.com'],
  )
    .requiredOption('--log <url>', "the gateway's base URL")
    .requiredOption('--state <dir>', 'directory holding this witness\'s key, the log keys it pinned and the last checkpoint it cosigned (created on first use)')
    .option('--name <name>', 'the witness\'s name on its cosignatures, fixed at first use (default: countersign-witness.HOSTNAME)')
    .addOption(new Option('--token <token>', 'bearer token (default: COUNTERSIGN_TOKEN)'))
    .addOption(new Option('--token-command <cmd>', 'a command printing a fresh token (default: COUNTERSIGN_TOKEN_COMMAND)'))
    .option('--json', 'print the outcome as JSON')
    .action(async (flags: WitnessFlags) => {
      const state = resolve(io.cwd, flags.state)
      const witness = openState(state, flags.name, io)
      const client = new ApiClient(flags.log, tokenOf(flags, io))
      const { checkpoints } = await client.request<CheckpointsAnswer>('GET', '/v1/audit/checkpoints', { query: { limit: 1 } })
      const newest = checkpoints.at(-1)
      if (newest === undefined) {
        report(io, flags, { outcome: 'nothing', message: 'the log has no signed checkpoint yet' })
        return
      }
      const next = parseCheckpoint(newest.note)
      const logKeys = await pinnedLogKeys(state, client)
      if (!next.signatures.some((signature) => logKeys.some((key) => verifyNoteSignature(next.body, signature, next.origin, key)))) {
        throw new CountersignError('FORBIDDEN', `the newest checkpoint of ${escapeInline(next.origin)} is not signed by a log key this witness pinned (${join(state, LOG_KEYS_FILE)}); after a key rotation, add the new public key there`)
      }
      const last = readLast(state)
      const proof = last !== undefined && next.size > last.size ? await consistencyProof(client, last.size, next.size) : []
      const verdict = judgeCheckpoint(last, next, proof)
      if (verdict.kind === 'fork' || verdict.kind === 'rollback') {
        report(io, flags, { outcome: verdict.kind, message: `${verdict.kind.toUpperCase()}: ${verdict.message}; not cosigned, state kept`, tree_size: next.size, root: next.root.toString('base64') })
        io.setExitCode?.(1)
        return
      }
      // Saved before posting: this witness has verified it, whatever the gateway answers.
      writeAtomically(join(state, CHECKPOINT_FILE), `${next.body}\n${next.signatures.filter((signature) => logKeys.some((key) => verifyNoteSignature(next.body, signature, next.origin, key))).map((signature) => `${signature.line}\n`).join('')}`)
      const line = cosignNote(next.body, witness.name, witness.key, Math.floor(Date.now() / 1000))
      await client.request('POST', '/v1/audit/checkpoints/cosignatures', { body: { tree_size: next.size, cosignature: line } })
      const since = last === undefined ? 'first checkpoint seen (trusted on first use)' : verdict.kind === 'same' ? 'unchanged' : `consistent with ${last.size}`
      report(io, flags, { outcome: 'cosigned', message: `cosigned ${next.origin} at ${next.size} events, root ${next.root.toString('base64')} (${since})`, tree_size: next.size, root: next.root.toString('base64') })
    })
}

function report(io: CliIo, flags: WitnessFlags, outcome: { outcome: string; message: string; tree_size?: number; root?: string }): void {
  if (flags.json) io.stdout(`${JSON.stringify(outcome)}\n`)
  else io.stdout(`witness: ${escapeInline(outcome.message)}\n`)
}

/** The witness's name and key, created on first use (the key 0600, the verifier key printed). */
function openState(state: string, wanted: string | undefined, io: CliIo): { name: string; key: KeyObject } {
  mkdirSync(state, { recursive: true, mode: 0o700 })
  const nameFile = join(state, NAME_FILE)
  const keyFile = join(state, KEY_FILE)
  const name = existsSync(nameFile) ? readFileSync(nameFile, 'utf8').trim() : (wanted ?? `countersign-witness.${hostname().replace(/[^A-Za-z0-9.-]/g, '-')}`)
  if (wanted !== undefined && wanted !== name) throw new CountersignError('INVALID', `this state directory belongs to witness ${name}; a witness keeps its name (its key hash depends on it)`)
  if (!existsSync(keyFile)) {
    const { privateKey } = generateKeyPairSync('ed25519')
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' })
    writeFileSync(nameFile, `${name}\n`)
    const vkey = formatWitnessKey(name, createPublicKey(privateKey))
    writeFileSync(join(state, VKEY_FILE), `${vkey}\n`)
    io.stderr(`new witness key; list it in the gateway's audit.witnesses:\n  ${vkey}\n`)
  }
  chmodSync(keyFile, 0o600)
  let key: KeyObject
  try {
    key = createPrivateKey(readFileSync(keyFile, 'utf8'))
  } catch {
    throw new CountersignError('INVALID', `${keyFile} is not a PEM private key`)
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new CountersignError('INVALID', `${keyFile} is not an Ed25519 key`)
  return { name, key }
}

/** The log's public keys, pinned from its JWKS on first contact and never refreshed by themselves. */
async function pinnedLogKeys(state: string, client: ApiClient): Promise<KeyObject[]> {
  const file = join(state, LOG_KEYS_FILE)
  if (!existsSync(file)) {
    const jwks = await client.request<{ keys: readonly Record<string, unknown>[] }>('GET', '/.well-known/jwks.json')
    const keys = jwks.keys.filter((jwk) => jwk['kty'] === 'OKP' && jwk['crv'] === 'Ed25519' && typeof jwk['x'] === 'string').map((jwk) => ({ kty: 'OKP', crv: 'Ed25519', x: jwk['x'] as string }))
    if (keys.length === 0) throw new CountersignError('INVALID', 'the log publishes no Ed25519 key in /.well-known/jwks.json')
    writeAtomically(file, `${JSON.stringify({ keys }, null, 2)}\n`)
  }
  let keys: unknown
  try {
    keys = (JSON.parse(readFileSync(file, 'utf8')) as { keys?: unknown }).keys
  } catch {
    throw new CountersignError('INVALID', `${file} is not JSON`)
  }
  if (!Array.isArray(keys)) throw new CountersignError('INVALID', `${file} has no keys`)
  return keys.map((jwk: unknown) => createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }))
}

function readLast(state: string): SignedCheckpoint | undefined {
  const file = join(state, CHECKPOINT_FILE)
  return existsSync(file) ? parseCheckpoint(readFileSync(file, 'utf8')) : undefined
}

async function consistencyProof(client: ApiClient, from: number, to: number): Promise<Buffer[]> {
  const answer = await client.request<{ proof?: unknown }>('GET', '/v1/audit/proofs/consistency', { query: { from, to } })
  if (!Array.isArray(answer.proof)) return []
  // A malformed hash is kept as it is: the proof then fails, which is the verdict it deserves.
  return answer.proof.map((hash: unknown) => Buffer.from(typeof hash === 'string' ? hash : '', 'base64'))
}

function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 })
  renameSync(`${file}.tmp`, file)
}
