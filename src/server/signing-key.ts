import { createPublicKey, type KeyObject } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { commandSigner, generateSigningKey, loadSigningKey, localSigner, type AuditSigner, type SigningKey } from '../audit/index.js'
import { resolveSecret, type Config, type SecretRef } from '../config/index.js'
import { CountersignError } from '../errors/index.js'

/** File name of the key generated in an embedded store's data directory. */
export const GENERATED_KEY_FILE = 'audit-ed25519.pem'

/**
 * The Ed25519 key that signs audit checkpoints: from `audit.signing_key`, or generated once in
 * the data directory of an embedded store (mode 0600). Replicas on PostgreSQL must share one key,
 * so there it has to be configured.
 */
export function signingKeyFor(config: Config): SigningKey {
  if (config.audit.signing_key) return loadSigningKey(resolveSecret(config.audit.signing_key))
  if (config.store.kind !== 'embedded') {
    throw new CountersignError('INVALID', 'audit.signing_key is required with store.database_url: every replica must sign checkpoints with the same key (generate one with `openssl genpkey -algorithm ed25519`)')
  }
  const file = join(config.store.data_dir, GENERATED_KEY_FILE)
  if (!existsSync(file)) writeFileSync(file, generateSigningKey().privateKeyPem, { mode: 0o600, flag: 'wx' })
  return loadSigningKey(readFileSync(file, 'utf8'))
}

/**
 * What signs checkpoints, tree heads and receipts: `audit.signer` (a command; the gateway holds
 * only the public key), else the key of {@link signingKeyFor}.
 */
export function auditSignerFor(config: Config): AuditSigner {
  const signer = config.audit.signer
  if (signer === undefined) return localSigner(signingKeyFor(config))
  return commandSigner(signer.command, publicKeyOf(signer.public_key, 'audit.signer.public_key'))
}

/**
 * The public keys of `audit.previous_keys`: keys `audit.signing_key` replaced, that old
 * checkpoints and receipts were signed with. Each is a PEM (public, or the old private key).
 */
export function previousKeysFor(config: Config): KeyObject[] {
  return config.audit.previous_keys.map((ref) => publicKeyOf(ref, 'audit.previous_keys'))
}

function publicKeyOf(ref: SecretRef, option: string): KeyObject {
  let key: KeyObject
  try {
    key = createPublicKey(resolveSecret(ref))
  } catch (error) {
    if (error instanceof CountersignError) throw error
    throw new CountersignError('INVALID', `${option}: ${ref.ref} is not a PEM key`)
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new CountersignError('INVALID', `${option}: ${ref.ref} is not an Ed25519 key`)
  return key
}
