import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateSigningKey, loadSigningKey, type SigningKey } from '../audit/index.js'
import { resolveSecret, type Config } from '../config/index.js'
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
