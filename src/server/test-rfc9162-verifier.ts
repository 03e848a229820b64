import { createHash } from 'node:crypto'

/**
 * Test support: an independent RFC 9162 verifier (§2.1.3.2, §2.1.4.2), written from the RFC for
 * the tests: the proofs the gateway serves are checked with code that shares nothing with the
 * product's.
 */
export const h = (...parts: Uint8Array[]) => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest()
const node = (l: Uint8Array, r: Uint8Array) => h(Uint8Array.of(1), l, r)
export function rfcInclusion(index: bigint, size: bigint, leaf: Buffer, path: Buffer[], root: Buffer): boolean {
  if (index >= size) return false
  let [fn, sn, r] = [index, size - 1n, leaf]
  for (const p of path) {
    if (sn === 0n) return false
    if ((fn & 1n) === 1n || fn === sn) {
      r = node(p, r)
      while ((fn & 1n) === 0n && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n]
    } else r = node(r, p)
    ;[fn, sn] = [fn >> 1n, sn >> 1n]
  }
  return sn === 0n && r.equals(root)
}
export function rfcConsistency(first: bigint, second: bigint, firstRoot: Buffer, secondRoot: Buffer, proof: Buffer[]): boolean {
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot)
  const path = (first & (first - 1n)) === 0n ? [firstRoot, ...proof] : proof
  if (path.length === 0) return false
  let [fn, sn] = [first - 1n, second - 1n]
  while ((fn & 1n) === 1n) [fn, sn] = [fn >> 1n, sn >> 1n]
  let [fr, sr] = [path[0]!, path[0]!]
  for (const c of path.slice(1)) {
    if (sn === 0n) return false
    if ((fn & 1n) === 1n || fn === sn) {
      ;[fr, sr] = [node(c, fr), node(c, sr)]
      while ((fn & 1n) === 0n && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n]
    } else sr = node(sr, c)
    ;[fn, sn] = [fn >> 1n, sn >> 1n]
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0n
}
/** Origin, size and root of a signed note, read by hand (c2sp.org/tlog-checkpoint). */
export function headOf(note: string): { size: number; root: Buffer } {
  const [, size, root] = note.split('\n')
  return { size: Number(size), root: Buffer.from(root!, 'base64') }
}

