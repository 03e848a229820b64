import { ReceiptError } from './receipts.js'
import type { Jwks, ReceiptClaims } from './types.js'

/**
 * Checks the `audit` claim of a receipt offline, with WebCrypto only: the signed tree head is
 * signed by a key of the gateway's key set (C2SP signed note, Ed25519), each deciding event is
 * about this action and digest, every approver has an approval event, and each event is in that
 * tree (RFC 9162 inclusion proof). Returns the tree head, to compare with what witnesses cosigned.
 *
 * @throws ReceiptError BAD_AUDIT_PROOF naming the check that failed
 */
export async function verifyReceiptAudit(claims: ReceiptClaims, jwks: Jwks): Promise<{ readonly origin: string; readonly treeSize: number; readonly rootHash: string }> {
  const audit = claims.audit
  if (audit === undefined || typeof audit.checkpoint !== 'string' || !Array.isArray(audit.events as unknown) || audit.events.length === 0) throw refused('the receipt carries no audit proof')
  const split = audit.checkpoint.indexOf('\n\n')
  if (split < 0) throw refused('the tree head is not a signed note')
  const body = audit.checkpoint.slice(0, split + 1)
  const [origin = '', sizeText = '', rootText = ''] = body.split('\n')
  const size = Number(sizeText)
  const root = decodeBase64(rootText)
  if (!/^\d+$/.test(sizeText) || !Number.isSafeInteger(size) || root?.length !== 32) throw refused('the tree head has no valid size or root hash')
  if (!(await signedByGateway(body, origin, audit.checkpoint.slice(split + 2), jwks))) throw refused('the tree head is not signed by a key of the gateway\'s key set')

  const types = new Map<string, string[]>()
  for (const entry of audit.events) {
    let event: Record<string, unknown>
    try {
      event = JSON.parse(entry.event) as Record<string, unknown>
    } catch {
      throw refused(`audit event ${entry.seq} is not JSON`)
    }
    if (event['seq'] !== entry.seq || event['action_id'] !== claims.sub || event['digest'] !== claims.digest) throw refused(`audit event ${entry.seq} is not about this action and digest`)
    types.set(String(event['type']), [...(types.get(String(event['type'])) ?? []), String(event['actor'])])
    const leaf = await sha256(Uint8Array.of(0), new TextEncoder().encode(entry.event))
    const proof = (entry.proof as readonly string[]).map((hash) => decodeBase64(hash))
    if (proof.some((hash: Uint8Array | undefined) => hash?.length !== 32) || !(await inclusion(entry.seq - 1, size, leaf, proof as Uint8Array[], root))) {
      throw refused(`audit event ${entry.seq} is not in the tree of ${size} events the receipt names`)
    }
  }
  const decided = claims.status === 'approved' ? 'action.approved' : 'action.allowed'
  if (!types.has(decided)) throw refused(`the audit proof has no ${decided} event`)
  const approvals = types.get('review.approve') ?? []
  const missing = claims.approvers.find((approver) => !approvals.includes(`human:${approver}`))
  if (missing !== undefined) throw refused(`the audit proof has no approval by ${missing}`)
  return { origin, treeSize: size, rootHash: rootText }
}

function refused(message: string): ReceiptError {
  return new ReceiptError('BAD_AUDIT_PROOF', message)
}

/** A signature line `— origin base64(keyhash ‖ sig)` whose key hash and signature match a key of the set. */
async function signedByGateway(body: string, origin: string, lines: string, jwks: Jwks): Promise<boolean> {
  const encoder = new TextEncoder()
  for (const jwk of jwks.keys) {
    if (jwk['kty'] !== 'OKP' || jwk['crv'] !== 'Ed25519' || typeof jwk['x'] !== 'string') continue
    const raw = decodeBase64(jwk['x'].replace(/-/g, '+').replace(/_/g, '/'))
    if (raw?.length !== 32) continue
    const keyHash = (await sha256(encoder.encode(`${origin}\n`), Uint8Array.of(1), raw)).subarray(0, 4)
    const key = await globalThis.crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk['x'] }, { name: 'Ed25519' }, false, ['verify'])
    for (const line of lines.split('\n')) {
      const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+=*)$/.exec(line)
      const bytes = match ? decodeBase64(match[2]!) : undefined
      if (match?.[1] !== origin || bytes?.length !== 68 || !bytes.subarray(0, 4).every((byte, index) => byte === keyHash[index])) continue
      if (await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, key, bytes.subarray(4), encoder.encode(body))) return true
    }
  }
  return false
}

/** RFC 9162 §2.1.3.2. */
async function inclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): Promise<boolean> {
  if (index < 0 || index >= size) return false
  let [fn, sn, hash] = [index, size - 1, leaf]
  for (const sibling of proof) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      hash = await sha256(Uint8Array.of(1), sibling, hash)
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)]
    } else hash = await sha256(Uint8Array.of(1), hash, sibling)
    ;[fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)]
  }
  return sn === 0 && hash.length === root.length && hash.every((byte, position) => byte === root[position])
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    joined.set(part, offset)
    offset += part.length
  }
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', joined))
}

function decodeBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0))
  } catch {
    return undefined
  }
}
