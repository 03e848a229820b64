import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { CountersignError } from '../errors/index.js'
import { leafHash, MerkleAccumulator, MerkleTree, perfectRoot, verifyConsistency, verifyInclusion } from './merkle.js'

// An independent RFC 9162 implementation, written from the RFC's text (§2.1.1, §2.1.3.2,
// §2.1.4.2) with BigInt arithmetic and its own hashing, so the product's code is checked against
// something it does not share a line with.
const rfc = {
  sha256: (...parts: Uint8Array[]) => {
    const hash = createHash('sha256')
    for (const part of parts) hash.update(part)
    return hash.digest()
  },
  leaf: (data: Uint8Array) => rfc.sha256(Uint8Array.of(0), data),
  node: (left: Uint8Array, right: Uint8Array) => rfc.sha256(Uint8Array.of(1), left, right),
  /** MTH(D[n]) by the recursive definition. */
  mth(entries: readonly Uint8Array[]): Buffer {
    const n = entries.length
    if (n === 0) return rfc.sha256()
    if (n === 1) return rfc.leaf(entries[0]!)
    let k = 1
    while (k * 2 < n) k *= 2
    return rfc.node(rfc.mth(entries.slice(0, k)), rfc.mth(entries.slice(k)))
  },
  /** §2.1.3.2: verifying an inclusion proof. */
  verifyInclusion(leafIndex: bigint, treeSize: bigint, hash: Uint8Array, path: readonly Uint8Array[], root: Uint8Array): boolean {
    if (leafIndex >= treeSize) return false
    let fn = leafIndex
    let sn = treeSize - 1n
    let r = Buffer.from(hash)
    for (const p of path) {
      if (sn === 0n) return false
      if ((fn & 1n) === 1n || fn === sn) {
        r = rfc.node(p, r)
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n
          sn >>= 1n
        }
      } else {
        r = rfc.node(r, p)
      }
      fn >>= 1n
      sn >>= 1n
    }
    return sn === 0n && r.equals(root)
  },
  /** §2.1.4.2: verifying a consistency proof (first < second). */
  verifyConsistency(first: bigint, second: bigint, firstHash: Uint8Array, secondHash: Uint8Array, proof: readonly Uint8Array[]): boolean {
    if (first === second) return proof.length === 0 && Buffer.from(firstHash).equals(secondHash)
    if (proof.length === 0) return false
    const path = (first & (first - 1n)) === 0n ? [firstHash, ...proof] : [...proof]
    let fn = first - 1n
    let sn = second - 1n
    while ((fn & 1n) === 1n) {
      fn >>= 1n
      sn >>= 1n
    }
    let fr = Buffer.from(path[0]!)
    let sr = Buffer.from(path[0]!)
    for (const c of path.slice(1)) {
      if (sn === 0n) return false
      if ((fn & 1n) === 1n || fn === sn) {
        fr = rfc.node(c, fr)
        sr = rfc.node(c, sr)
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n
          sn >>= 1n
        }
      } else {
        sr = rfc.node(sr, c)
      }
      fn >>= 1n
      sn >>= 1n
    }
    return fr.equals(firstHash) && sr.equals(secondHash) && sn === 0n
  },
}

// The eight leaves of the RFC 6962 reference tests (certificate-transparency), and their roots.
const REFERENCE_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) => Buffer.from(hex, 'hex'))
const REFERENCE_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]

function entries(n: number): Buffer[] {
  return Array.from({ length: n }, (_, index) => Buffer.from(`{"seq":${index + 1},"text":"event ${index + 1}"}`, 'utf8'))
}

describe('the audit Merkle tree (RFC 9162)', () => {
  it('hashes the reference leaves to the reference roots', () => {
    const tree = new MerkleTree(REFERENCE_LEAVES.map((leaf) => leafHash(leaf)))
    const accumulator = new MerkleAccumulator()
    for (const [index, leaf] of REFERENCE_LEAVES.entries()) {
      accumulator.push(leafHash(leaf))
      assert.equal(tree.root(index + 1).toString('hex'), REFERENCE_ROOTS[index])
      assert.equal(accumulator.root().toString('hex'), REFERENCE_ROOTS[index])
      assert.equal(rfc.mth(REFERENCE_LEAVES.slice(0, index + 1)).toString('hex'), REFERENCE_ROOTS[index])
    }
    assert.equal(new MerkleTree([]).root(0).toString('hex'), createHash('sha256').digest('hex'))
  })

  it('gives roots equal to the recursive definition for every size up to 70', () => {
    const data = entries(70)
    const tree = new MerkleTree(data.map((entry) => leafHash(entry)))
    const accumulator = new MerkleAccumulator()
    for (let size = 1; size <= 70; size += 1) {
      accumulator.push(leafHash(data[size - 1]!))
      const expected = rfc.mth(data.slice(0, size))
      assert.deepEqual(tree.root(size), expected, `size ${size}`)
      assert.deepEqual(accumulator.root(), expected, `accumulated size ${size}`)
    }
  })

  it('gives the root of leaf hashes packed in one buffer (a perfect tree) as the recursive definition does', () => {
    for (const count of [1, 2, 4, 8, 64, 1024]) {
      const entries = Array.from({ length: count }, (_, index) => Buffer.from(`entry ${index}`))
      const packed = Buffer.concat([...entries.map((entry) => rfc.leaf(entry)), Buffer.alloc(32, 7)])
      const before = Buffer.from(packed)
      assert.deepEqual(perfectRoot(packed, count), rfc.mth(entries), `${count} leaves`)
      assert.deepEqual(packed, before, 'the leaves are left as they were')
    }
    assert.throws(() => perfectRoot(Buffer.alloc(96), 3), CountersignError)
    assert.throws(() => perfectRoot(Buffer.alloc(32), 2), CountersignError)
    assert.throws(() => perfectRoot(Buffer.alloc(0), 0), CountersignError)
  })

  it('gives inclusion proofs that the independent verifier accepts, for every leaf of every size up to 40', () => {
    const data = entries(40)
    const tree = new MerkleTree(data.map((entry) => leafHash(entry)))
    for (let size = 1; size <= 40; size += 1) {
      const root = rfc.mth(data.slice(0, size))
      for (let index = 0; index < size; index += 1) {
        const proof = tree.inclusionProof(index, size)
        assert.ok(rfc.verifyInclusion(BigInt(index), BigInt(size), rfc.leaf(data[index]!), proof, root), `leaf ${index} of ${size}`)
        assert.ok(verifyInclusion(leafHash(data[index]!), index, size, proof, root))
        // The same proof must not vouch for another leaf or position.
        const other = (index + 1) % size
        if (other !== index) assert.ok(!rfc.verifyInclusion(BigInt(other), BigInt(size), rfc.leaf(data[index]!), proof, root))
        assert.ok(!verifyInclusion(rfc.leaf(Buffer.from('forged')), index, size, proof, root))
      }
    }
  })

  it('gives consistency proofs that the independent verifier accepts, between every pair of sizes up to 40', () => {
    const data = entries(40)
    const tree = new MerkleTree(data.map((entry) => leafHash(entry)))
    for (let to = 1; to <= 40; to += 1) {
      const toRoot = rfc.mth(data.slice(0, to))
      for (let from = 1; from <= to; from += 1) {
        const fromRoot = rfc.mth(data.slice(0, from))
        const proof = tree.consistencyProof(from, to)
        assert.ok(rfc.verifyConsistency(BigInt(from), BigInt(to), fromRoot, toRoot, proof), `${from} → ${to}`)
        assert.ok(verifyConsistency(from, to, fromRoot, toRoot, proof))
      }
    }
  })

  it('refuses consistency between a tree and a rewritten one', () => {
    const data = entries(30)
    const rewritten = data.map((entry, index) => (index === 11 ? Buffer.from('{"seq":12,"actor":"human:mallory@example.com"}') : entry))
    const honest = new MerkleTree(data.map((entry) => leafHash(entry)))
    const forged = new MerkleTree(rewritten.map((entry) => leafHash(entry)))
    for (const from of [12, 16, 20, 25]) {
      const proof = forged.consistencyProof(from, 30)
      const seen = honest.root(from)
      assert.ok(!rfc.verifyConsistency(BigInt(from), 30n, seen, forged.root(30), proof))
      assert.ok(!verifyConsistency(from, 30, seen, forged.root(30), proof))
    }
    // Before the rewritten event the histories agree, and the proof says so.
    assert.ok(verifyConsistency(11, 30, honest.root(11), forged.root(30), forged.consistencyProof(11, 30)))
  })

  it('refuses proofs for sizes and leaves it does not have', () => {
    const tree = new MerkleTree(entries(5).map((entry) => leafHash(entry)))
    const invalid = (error: unknown) => error instanceof CountersignError && error.code === 'INVALID'
    assert.throws(() => tree.inclusionProof(5, 5), invalid)
    assert.throws(() => tree.inclusionProof(0, 6), invalid)
    assert.throws(() => tree.consistencyProof(0, 5), invalid)
    assert.throws(() => tree.consistencyProof(4, 3), invalid)
    assert.throws(() => tree.root(6), invalid)
    assert.ok(!verifyInclusion(tree.leaf(0), 5, 5, [], tree.root(5)))
    assert.ok(!verifyConsistency(3, 5, tree.root(3), tree.root(5), []))
  })

  it('resumes from the compact range of archived leaves: the same roots and proofs from the cut on, none before', () => {
    const data = entries(48)
    const full = new MerkleTree(data.map((entry) => leafHash(entry)))
    const invalid = (error: unknown) => error instanceof CountersignError && error.code === 'INVALID'
    for (let cut = 1; cut <= 33; cut += 1) {
      const tree = MerkleTree.fromFrontier(cut, full.compactRange(cut))
      const accumulator = MerkleAccumulator.fromFrontier(cut, full.compactRange(cut))
      for (const entry of data.slice(cut)) {
        tree.append(leafHash(entry))
        accumulator.push(leafHash(entry))
        assert.deepEqual(accumulator.root(), rfc.mth(data.slice(0, accumulator.size)), `accumulated ${accumulator.size} from ${cut}`)
      }
      for (let size = cut; size <= 48; size += 1) {
        const root = rfc.mth(data.slice(0, size))
        assert.deepEqual(tree.root(size), root, `root ${size} from ${cut}`)
        for (let index = cut; index < size; index += 1) assert.ok(rfc.verifyInclusion(BigInt(index), BigInt(size), rfc.leaf(data[index]!), tree.inclusionProof(index, size), root), `leaf ${index} of ${size} from ${cut}`)
        for (let to = size; to <= 48; to += 1) assert.ok(rfc.verifyConsistency(BigInt(size), BigInt(to), root, rfc.mth(data.slice(0, to)), tree.consistencyProof(size, to)), `${size} → ${to} from ${cut}`)
      }
      // Before the cut it answers only what the frontier still holds, and then correctly.
      for (let size = 1; size < cut; size += 1) {
        const root = rfc.mth(data.slice(0, size))
        const answered = (proof: () => Buffer[], check: (proof: Buffer[]) => boolean) => {
          try {
            assert.ok(check(proof()), `before the cut ${cut}: ${size}`)
          } catch (error) {
            assert.ok(invalid(error), String(error))
          }
        }
        answered(() => tree.consistencyProof(size, 48), (proof) => rfc.verifyConsistency(BigInt(size), 48n, root, full.root(48), proof))
        answered(() => tree.inclusionProof(size - 1, 48), (proof) => rfc.verifyInclusion(BigInt(size - 1), 48n, rfc.leaf(data[size - 1]!), proof, full.root(48)))
      }
      if (cut > 1) assert.throws(() => tree.leaf(cut - 1), invalid)
    }
    assert.throws(() => MerkleTree.fromFrontier(6, [full.root(4)]), invalid)
  })
})
