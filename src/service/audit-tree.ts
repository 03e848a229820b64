import { leafHash, MerkleTree } from '../audit/index.js'
import { selectAuditBase, type AuditBase, type Store } from '../store/index.js'

/** How many events are read per query while catching up with the log. */
const PAGE = 5000

/**
 * The Merkle tree of the stored audit log, kept in memory and extended with the events appended
 * since it was last read (the log is append-only, so a tree of its first n events never changes).
 * When the log's first events were archived, the tree starts from the compact range kept for
 * them (`audit_base`). One per gateway; reads are serialized so two requests never append the
 * same events twice.
 */
export class AuditTree {
  readonly #store: Store
  #tree = new MerkleTree()
  /** The stored hash of the last event in the tree (the chain head the tree reaches). */
  #lastHash = ''
  #queue: Promise<unknown> = Promise.resolve()

  constructor(store: Store) {
    this.#store = store
  }

  /**
   * The tree of every event stored now, with the stored hash of its last event. What it returns
   * is only read by the caller before its next `await` of this class: later calls grow it.
   */
  current(): Promise<{ readonly tree: MerkleTree; readonly lastHash: string }> {
    const next = this.#queue.then(() => this.#catchUp())
    this.#queue = next.catch(() => undefined)
    return next
  }

  async #catchUp(): Promise<{ tree: MerkleTree; lastHash: string }> {
    const [head, base] = await Promise.all([this.#store.auditHead(), selectAuditBase(this.#store.db)])
    if (!(await this.#holds(base))) {
      this.#tree = base.seq === 0 ? new MerkleTree() : MerkleTree.fromFrontier(base.seq, base.frontier.map((hash) => Buffer.from(hash, 'base64')))
      this.#lastHash = base.hash
    }
    while (this.#tree.size < head.seq) {
      const rows = await this.#store.auditEvents(this.#tree.size, Math.min(PAGE, head.seq - this.#tree.size))
      if (rows.length === 0) break
      for (const row of rows) {
        // A gap would shift every later leaf: stop at it, verification reports it.
        if (row.seq !== this.#tree.size + 1) return { tree: this.#tree, lastHash: this.#lastHash }
        this.#tree.append(leafHash(row.event))
        this.#lastHash = row.hash
      }
    }
    return { tree: this.#tree, lastHash: this.#lastHash }
  }

  /**
   * Whether the tree in memory is still a prefix of the stored log: the stored log is append-only,
   * but if the last event we read is no longer the same (rewritten or rolled back beneath us), or
   * was archived, the tree is read again, so what is signed is what is stored.
   */
  async #holds(base: AuditBase): Promise<boolean> {
    const size = this.#tree.size
    if (size <= base.seq) return size === base.seq && (size === 0 || this.#lastHash === base.hash)
    const [last] = await this.#store.auditEvents(size - 1, 1)
    return last?.seq === size && last.hash === this.#lastHash
  }
}
