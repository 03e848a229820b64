import { createHash, hash } from 'node:crypto'
import { CountersignError } from '../errors/index.js'

/**
 * The Merkle tree of the audit log, hashed as RFC 9162 §2.1 says: leaf `i` (0-based) is event
 * `seq = i + 1`, its data the UTF-8 of the event's canonical text as stored; a leaf hashes to
 * `SHA-256(0x00 ‖ data)`, an inner node to `SHA-256(0x01 ‖ left ‖ right)`, the empty tree to
 * `SHA-256()`. Hashes are raw 32-byte buffers here; the wire carries them in base64.
 */

/** One 65-byte buffer for inner nodes: `hash` reads it synchronously, so it is reused. */
const NODE_INPUT = Buffer.alloc(65)
NODE_INPUT[0] = 0x01

/**
 * SHA-256 of `data` as a 32-byte Buffer. Asking `hash` for a Buffer costs about 60% more than
 * asking for a 32-character latin1 ('binary') string and copying it into a (pooled) Buffer: Node
 * gives each returned Buffer its own ArrayBuffer.
 */
export function sha256(data: string | Uint8Array): Buffer {
  return Buffer.from(hash('sha256', data, 'binary'), 'latin1')
}

/** The hash of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest()

/** `SHA-256(0x00 ‖ data)`: the leaf hash of one event's text (UTF-8). */
export function leafHash(data: string | Uint8Array): Buffer {
  // One-shot hashing is about twice as fast as a Hash object on texts this short; "\0" is the
  // single byte 0x00 in UTF-8.
  if (typeof data === 'string') return sha256(`\0${data}`)
  return sha256(Buffer.concat([Buffer.of(0x00), data]))
}

/** `SHA-256(0x01 ‖ left ‖ right)`; both 32 bytes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32) return createHash('sha256').update(NODE_INPUT.subarray(0, 1)).update(left).update(right).digest()
  NODE_INPUT.set(left, 1)
  NODE_INPUT.set(right, 33)
  return sha256(NODE_INPUT)
}

/**
 * The root of the perfect tree over `count` (a power of two) leaf hashes stored one after the
 * other in `leaves` (32 bytes each). Computed level by level in one scratch buffer holding the
 * level's hashes from byte 1: the input of node `k`, `0x01 ‖ left ‖ right`, is then bytes
 * 64k…64k+64 once byte 64k is set to 0x01 (the last byte of a hash already used), and the node is
 * written back at 1 + 32k, over hashes already used. Node `k`'s input is at the same place on
 * every level, so its view is made once and kept with the scratch buffer (`hash` reads
 * synchronously): no copy or Buffer per node.
 */
export function perfectRoot(leaves: Uint8Array, count: number): Buffer {
  if (!isPowerOfTwo(count) || leaves.length < 32 * count) throw new CountersignError('INVALID', `${leaves.length} bytes do not hold ${count} leaf hashes, a power of two`)
  if (rootScratch.length < 1 + 32 * count) {
    rootScratch = Buffer.alloc(1 + 32 * count)
    nodeInputs = Array.from({ length: count >> 1 }, (_, node) => rootScratch.subarray(64 * node, 64 * node + 65))
  }
  const scratch = rootScratch
  scratch.set(leaves.subarray(0, 32 * count), 1)
  for (let width = count >> 1; width >= 1; width >>= 1) {
    for (let node = 0; node < width; node++) {
      scratch[64 * node] = 0x01
      scratch.write(hash('sha256', nodeInputs[node] as Buffer, 'binary'), 1 + 32 * node, 32, 'latin1')
    }
  }
  return Buffer.from(scratch.subarray(1, 33))
}

/** {@link perfectRoot}'s scratch buffer, and its views of each node's input; grown as needed. */
let rootScratch = Buffer.alloc(0)
let nodeInputs: Buffer[] = []

/**
 * The root of a growing tree, one leaf at a time, in O(log n) memory: the roots of the perfect
 * subtrees the leaves so far make (a compact range). What verification streams the log through.
 *
 * @example
 * const tree = new MerkleAccumulator()
 * for (const row of rows) tree.push(leafHash(row.event))
 * tree.root() // equals the root_hash of a checkpoint of tree.size
 */
export class MerkleAccumulator {
  readonly #hashes: Buffer[] = []
  readonly #sizes: number[] = []
  #size = 0

  /**
   * An accumulator that starts after the first `size` leaves, known only by their compact range
   * (see {@link compactRangeSizes}): what verification resumes from after events were archived.
   *
   * @throws CountersignError INVALID when `frontier` does not have one 32-byte hash per subtree.
   */
  static fromFrontier(size: number, frontier: readonly Buffer[]): MerkleAccumulator {
    const sizes = compactRangeSizes(size)
    assertFrontier(sizes, frontier)
    const accumulator = new MerkleAccumulator()
    accumulator.#hashes.push(...frontier)
    accumulator.#sizes.push(...sizes)
    accumulator.#size = size
    return accumulator
  }

  /** How many leaves were pushed. */
  get size(): number {
    return this.#size
  }

  /**
   * Appends a leaf hash; or, with `leaves` (a power of two dividing the tree's size), the root of
   * the perfect subtree of the next `leaves` leaves.
   */
  push(hash: Buffer, leaves = 1): void {
    if (leaves !== 1 && (!isPowerOfTwo(leaves) || this.#size % leaves !== 0)) throw new CountersignError('INVALID', `a subtree of ${leaves} leaves cannot follow ${this.#size} leaves`)
    let size = leaves
    while (this.#sizes.length > 0 && this.#sizes[this.#sizes.length - 1] === size) {
      this.#sizes.pop()
      hash = nodeHash(this.#hashes.pop() as Buffer, hash)
      size *= 2
    }
    this.#hashes.push(hash)
    this.#sizes.push(size)
    this.#size += leaves
  }

  /** The root of the tree of the leaves pushed so far. */
  root(): Buffer {
    const hashes = this.#hashes
    if (hashes.length === 0) return EMPTY_ROOT
    let root = hashes[hashes.length - 1] as Buffer
    for (let index = hashes.length - 2; index >= 0; index -= 1) root = nodeHash(hashes[index] as Buffer, root)
    return root
  }
}

/**
 * A tree over known leaf hashes that answers roots and proofs for any size up to its own. It
 * keeps every level of perfect subtrees (about 2n hashes), so after an O(n) build each root or
 * proof costs O(log² n) hashes.
 */
export class MerkleTree {
  /**
   * `levels[k][i]`: the hash of the perfect subtree of 2^k leaves starting at leaf
   * (offsets[k] + i)·2^k. The offsets are 0 unless the tree starts from a frontier: then the
   * subtrees left of it are known only as far as the frontier holds them.
   */
  readonly #levels: Buffer[][] = [[]]
  readonly #offsets: number[] = [0]
  /** How many leading leaves are known only through the frontier (archived events). */
  #base = 0

  constructor(leaves: readonly Buffer[] = []) {
    for (const leaf of leaves) this.append(leaf)
  }

  /**
   * A tree whose first `size` leaves are known only by their compact range, `frontier` (the
   * perfect subtrees they make, largest first: {@link MerkleTree.compactRange}). It answers roots
   * of any size from `size` on, inclusion proofs of the leaves after them and consistency proofs
   * from a tree of at least `size` leaves: every node those need is in the frontier or after it.
   *
   * @throws CountersignError INVALID when `frontier` does not have one 32-byte hash per subtree.
   */
  static fromFrontier(size: number, frontier: readonly Buffer[]): MerkleTree {
    const sizes = compactRangeSizes(size)
    assertFrontier(sizes, frontier)
    const tree = new MerkleTree()
    tree.#base = size
    // Level k starts at the frontier's subtree of 2^k leaves when it has one, else right after them.
    for (let level = 0; 2 ** level <= size; level += 1) {
      tree.#levels[level] = []
      tree.#offsets[level] = Math.floor(size / 2 ** level)
    }
    for (const [index, count] of sizes.entries()) {
      const level = Math.log2(count)
      tree.#offsets[level] = Math.floor(size / count) - 1
      tree.#levels[level] = [frontier[index] as Buffer]
    }
    return tree
  }

  /**
   * The compact range of the first `size` leaves: the roots of the perfect subtrees they make,
   * largest first (one per bit set in `size`). With `size`, it is all a tree needs to go on
   * growing and proving after those leaves are gone.
   *
   * @throws CountersignError INVALID unless `this` tree's own start <= `size` <= its size.
   */
  compactRange(size: number): Buffer[] {
    if (!Number.isSafeInteger(size) || size < this.#base || size > this.size) throw new CountersignError('INVALID', `no compact range of ${size} leaves in a tree of ${this.#base}–${this.size}`)
    return compactRangeSizes(size).map((count, index, sizes) => {
      const start = sizes.slice(0, index).reduce((sum, before) => sum + before, 0)
      return this.#node(Math.log2(count), start / count)
    })
  }

  /** Appends a leaf hash: O(1) amortized, so a tree kept in memory follows a growing log. */
  append(leaf: Buffer): void {
    let hash = leaf
    for (let level = 0; ; level += 1) {
      const hashes = this.#levels[level] ?? (this.#levels[level] = [])
      const offset = this.#offsets[level] ?? (this.#offsets[level] = 0)
      hashes.push(hash)
      if ((offset + hashes.length) % 2 === 1) return
      hash = nodeHash(this.#node(level, offset + hashes.length - 2), hash)
    }
  }

  /** How many leaves the tree has (archived ones included). */
  get size(): number {
    return (this.#offsets[0] as number) + (this.#levels[0] as Buffer[]).length
  }

  /** The leaf hash at `index` (0-based). */
  leaf(index: number): Buffer {
    this.#check(index + 1, 'leaf index')
    if (index < this.#base) throw new CountersignError('INVALID', `leaf ${index} was archived: only its compact range is kept`)
    return this.#node(0, index)
  }

  /** The root of the first `size` leaves (RFC 9162 MTH(D[0:size])). */
  root(size: number = this.size): Buffer {
    if (size === 0) return EMPTY_ROOT
    this.#check(size, 'tree size')
    if (size < this.#base) throw new CountersignError('INVALID', `the tree of ${size} events was archived: this log starts after event ${this.#base}`)
    return this.#subtree(0, size)
  }

  /**
   * The inclusion proof of leaf `index` in the tree of the first `size` leaves (RFC 9162
   * §2.1.3.1 PATH), nearest sibling first.
   *
   * @throws CountersignError INVALID unless `0 <= index < size <= this.size`.
   */
  inclusionProof(index: number, size: number): Buffer[] {
    this.#check(size, 'tree size')
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new CountersignError('INVALID', `leaf ${index} is not in a tree of ${size}`)
    const proof: Buffer[] = []
    this.#path(index, 0, size, proof)
    return proof
  }

  /**
   * The consistency proof between the trees of the first `from` and `to` leaves (RFC 9162
   * §2.1.4.1 PROOF), empty when they are the same size.
   *
   * @throws CountersignError INVALID unless `1 <= from <= to <= this.size`.
   */
  consistencyProof(from: number, to: number): Buffer[] {
    this.#check(to, 'tree size')
    if (!Number.isSafeInteger(from) || from < 1 || from > to) throw new CountersignError('INVALID', `no consistency proof from a tree of ${from} to one of ${to}`)
    const proof: Buffer[] = []
    this.#subproof(from, 0, to, true, proof)
    return proof
  }

  /** The perfect subtree at `index` of `level`; one left of the frontier was archived with its leaves. */
  #node(level: number, index: number): Buffer {
    const hash = this.#levels[level]?.[index - (this.#offsets[level] ?? 0)]
    if (hash === undefined) throw new CountersignError('INVALID', `a subtree of events up to ${this.#base} was archived: this log proves only from a tree of ${this.#base} events on`)
    return hash
  }

  #check(size: number, what: string): void {
    if (!Number.isSafeInteger(size) || size < 1 || size > this.size) throw new CountersignError('INVALID', `${what} ${size} is beyond the log's ${this.size} events`)
  }

  /** MTH(D[start:end]). */
  #subtree(start: number, end: number): Buffer {
    const count = end - start
    if (isPowerOfTwo(count) && start % count === 0) return this.#node(Math.log2(count), start / count)
    const split = count === 1 ? 1 : largestPowerOfTwoBelow(count)
    return nodeHash(this.#subtree(start, start + split), this.#subtree(start + split, end))
  }

  #path(index: number, start: number, end: number, proof: Buffer[]): void {
    const count = end - start
    if (count === 1) return
    const split = largestPowerOfTwoBelow(count)
    if (index < split) {
      this.#path(index, start, start + split, proof)
      proof.push(this.#subtree(start + split, end))
    } else {
      this.#path(index - split, start + split, end, proof)
      proof.push(this.#subtree(start, start + split))
    }
  }

  #subproof(from: number, start: number, end: number, whole: boolean, proof: Buffer[]): void {
    const count = end - start
    if (from === count) {
      if (!whole) proof.push(this.#subtree(start, end))
      return
    }
    const split = largestPowerOfTwoBelow(count)
    if (from <= split) {
      this.#subproof(from, start, start + split, whole, proof)
      proof.push(this.#subtree(start + split, end))
    } else {
      this.#subproof(from - split, start + split, end, false, proof)
      proof.push(this.#subtree(start, start + split))
    }
  }
}

/**
 * True when `proof` shows leaf `leaf` at `index` in the tree of `size` leaves whose root is
 * `root` (RFC 9162 §2.1.3.2).
 */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false
  let fn = index
  let sn = size - 1
  let hash: Uint8Array = leaf
  for (const sibling of proof) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash)
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      hash = nodeHash(hash, sibling)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && Buffer.from(hash).equals(root)
}

/**
 * True when `proof` shows that the tree of `from` leaves with root `fromRoot` is a prefix of the
 * tree of `to` leaves with root `toRoot` (RFC 9162 §2.1.4.2). Equal sizes need an empty proof and
 * equal roots.
 */
export function verifyConsistency(from: number, to: number, fromRoot: Uint8Array, toRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || from > to) return false
  if (from === to) return proof.length === 0 && Buffer.from(fromRoot).equals(toRoot)
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof]
  if (path.length === 0) return false
  let fn = from - 1
  let sn = to - 1
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  let fr: Uint8Array = path[0] as Uint8Array
  let sr: Uint8Array = fr
  for (const node of path.slice(1)) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(node, fr)
      sr = nodeHash(node, sr)
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      sr = nodeHash(sr, node)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && Buffer.from(fr).equals(fromRoot) && Buffer.from(sr).equals(toRoot)
}

/**
 * The sizes of the perfect subtrees the first `size` leaves make, largest first: the powers of
 * two of `size`'s binary digits. Their roots are the compact range (the "frontier") of the tree.
 */
export function compactRangeSizes(size: number): number[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new CountersignError('INVALID', 'a tree size is a non-negative integer')
  const sizes: number[] = []
  for (let rest = size; rest > 0; ) {
    const top = 2 ** Math.floor(Math.log2(rest))
    sizes.push(top)
    rest -= top
  }
  return sizes
}

function assertFrontier(sizes: readonly number[], frontier: readonly Buffer[]): void {
  if (frontier.length !== sizes.length || frontier.some((hash) => hash.length !== 32)) {
    throw new CountersignError('INVALID', `the compact range of a tree of ${sizes.reduce((sum, size) => sum + size, 0)} leaves is ${sizes.length} hashes of 32 bytes`)
  }
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && 2 ** Math.round(Math.log2(n)) === n
}

/** The largest power of two strictly below `n` (n ≥ 2). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 2 ** Math.floor(Math.log2(n))
  if (k >= n) k /= 2
  return k
}
