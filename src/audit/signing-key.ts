import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { CountersignError } from '../errors/index.js'

/** A new checkpoint signing key, as files to write (`audit.signing_key`) and publish. */
export interface GeneratedSigningKey {
  /** The Ed25519 private key, PKCS#8 PEM. Secret. */
  readonly privateKeyPem: string
  /** The Ed25519 public key, SPKI PEM: what auditors verify checkpoints with. */
  readonly publicKeyPem: string
  /** See {@link signingKeyId}. */
  readonly keyId: string
}

/** A loaded checkpoint signing key. */
export interface SigningKey {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** See {@link signingKeyId}. */
  readonly keyId: string
}

/** Generates an Ed25519 key pair for signing audit checkpoints. */
export function generateSigningKey(): GeneratedSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  return { privateKeyPem: privateKey, publicKeyPem: publicKey, keyId: signingKeyId(createPublicKey(publicKey)) }
}

/**
 * Loads the checkpoint signing key from PKCS#8 PEM text.
 *
 * @throws CountersignError INVALID when the text is not an unencrypted PEM private key, or the
 *   key is not Ed25519. The message never quotes the text: it is a secret.
 */
export function loadSigningKey(pem: string): SigningKey {
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' })
  } catch {
    // The cause is dropped on purpose: nothing derived from the key text goes into errors or logs.
    throw new CountersignError('INVALID', 'the audit signing key is not an unencrypted PEM private key (PKCS#8 Ed25519 expected)')
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new CountersignError('INVALID', `the audit signing key is a ${privateKey.asymmetricKeyType ?? 'non-asymmetric'} key; checkpoints are signed with Ed25519`)
  }
  const publicKey = createPublicKey(privateKey)
  return { privateKey, publicKey, keyId: signingKeyId(publicKey) }
}

/**
 * The id of an Ed25519 key: SHA-256 of its raw 32-byte public key, 64 lower-case hex digits.
 * The full hash, not a prefix: ids are compared, never typed, and a full hash leaves nothing to
 * argue about. A private key gives the id of its public key.
 *
 * @throws CountersignError INVALID when the key is not Ed25519.
 */
export function signingKeyId(key: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(ed25519PublicKey(key))).digest('hex')
}

/** The public half of an Ed25519 key (itself when already public). */
export function ed25519PublicKey(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CountersignError('INVALID', `audit checkpoints are signed with Ed25519, not ${key.asymmetricKeyType ?? 'a symmetric key'}`)
  }
  return key.type === 'public' ? key : createPublicKey(key)
}

/** The raw 32 bytes of an Ed25519 public key. */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  const { x } = publicKey.export({ format: 'jwk' })
  if (typeof x !== 'string') throw new CountersignError('INTERNAL', 'an Ed25519 public key exported no x coordinate')
  return Buffer.from(x, 'base64url')
}
