import { execFile } from 'node:child_process'
import { sign, verify, type KeyObject } from 'node:crypto'
import { CountersignError } from '../errors/index.js'
import { ed25519PublicKey, signingKeyId, type SigningKey } from './signing-key.js'

/** How long a signing command may take before the signature is refused. */
const COMMAND_TIMEOUT_MS = 10_000

/**
 * What signs the audit log's checkpoints and tree heads and the receipts: Ed25519 under one key,
 * wherever its private half lives. Every signature names `keyId`.
 *
 * @example
 * const signer = localSigner(loadSigningKey(pem))
 * const signature = await signer.sign(Buffer.from('message'))  // 64 bytes
 */
export interface AuditSigner {
  /** See {@link signingKeyId}. */
  readonly keyId: string
  /** The Ed25519 public key signatures verify with. */
  readonly publicKey: KeyObject
  /** The Ed25519 signature of `message` (64 bytes). */
  sign(message: Uint8Array): Promise<Buffer>
}

/** A signer over a private key the gateway holds (`audit.signing_key`, or the generated one). */
export function localSigner(key: SigningKey): AuditSigner {
  return {
    keyId: key.keyId,
    publicKey: key.publicKey,
    sign: async (message) => sign(null, message, key.privateKey),
  }
}

/**
 * A signer that keeps the private key out of the gateway's process (`audit.signer.command`): it
 * runs `command` (no shell) with the message on stdin and takes the signature from stdout, raw
 * (64 bytes) or base64, so an HSM's or a KMS's command-line tool can sign. Each signature is
 * verified with `publicKey` before it is used: a command that fails, hangs, or answers anything
 * but a valid signature of that message under that key signs nothing.
 *
 * @example
 * const signer = commandSigner(['/usr/local/bin/kms-sign', '--key', 'audit'], createPublicKey(pem))
 */
export function commandSigner(command: readonly string[], publicKey: KeyObject): AuditSigner {
  const [program, ...args] = command
  if (program === undefined) throw new CountersignError('INVALID', 'audit.signer.command names no program')
  const key = ed25519PublicKey(publicKey)
  return {
    keyId: signingKeyId(key),
    publicKey: key,
    sign: (message) =>
      new Promise<Buffer>((resolve, reject) => {
        const child = execFile(program, args, { encoding: 'buffer', timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 }, (error, stdout) => {
          // Its output and stderr are not quoted: a misbehaving signer could echo anything.
          if (error) return reject(new CountersignError('INTERNAL', `the audit signer ${program} failed (${error.killed ? 'timed out' : `exit ${String(error.code)}`}): nothing was signed`))
          const signature = stdout.length === 64 ? stdout : Buffer.from(stdout.toString('latin1').trim(), 'base64')
          if (signature.length !== 64 || !verify(null, message, key, signature)) return reject(new CountersignError('INTERNAL', `the audit signer ${program} did not answer an Ed25519 signature of the message under audit.signer.public_key: nothing was signed`))
          resolve(signature)
        })
        child.stdin?.on('error', () => undefined) // a signer that exits without reading is reported by its exit
        child.stdin?.end(message)
      }),
  }
}
