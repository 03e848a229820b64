import { hash } from 'node:crypto'
import { sha256 } from './merkle.js'

/**
 * Both hashes verification needs of one stored event, from one UTF-8 encoding of its text into a
 * reused buffer: the chain hash `SHA-256(prev_hash as 32 raw bytes ‖ text)` (as `chainHash` in
 * `seal.ts`) and the RFC 9162 leaf hash `SHA-256(0x00 ‖ text)` (as `leafHash` in `merkle.ts`).
 * The buffer holds `prev_hash` at bytes 1–32 and the text from byte 33, so the chain input is
 * bytes 1… and, once byte 32 is set to 0x00, the leaf input is bytes 32…. Not shared between
 * concurrent users; `hash` reads synchronously, so one instance serves a whole walk.
 *
 * @example
 * const hasher = new EventHasher()
 * const computed = hasher.chain(row.prev_hash, row.event) // 64 hex digits
 * tree.push(hasher.leaf(row.event))
 */
export class EventHasher {
  #scratch = Buffer.allocUnsafe(64 * 1024)
  /**
   * Views of the scratch buffer by the text's length in UTF-8: the chain input (from byte 1) and
   * the leaf input (from byte 32). A log's texts have few lengths, so each view is made once
   * rather than twice per event.
   */
  #chainInputs: Buffer[] = []
  #leafInputs: Buffer[] = []
  #text: string | undefined
  #length = 0

  /** The chain hash, lower-case hex. `prevHash` must already be 64 lower-case hex digits. */
  chain(prevHash: string, text: string): string {
    this.#load(text)
    this.#scratch.write(prevHash, 1, 32, 'hex')
    return hash('sha256', (this.#chainInputs[this.#length] ??= this.#scratch.subarray(1, 33 + this.#length)), 'hex')
  }

  /** The leaf hash of `text` (32 bytes); reuses the encoding when `text` was just chained. */
  leaf(text: string): Buffer {
    return sha256(this.#leafInput(text))
  }

  /** Writes the leaf hash of `text` (32 bytes) into `target` at `offset`; as {@link leaf}, without a Buffer per leaf. */
  leafInto(text: string, target: Buffer, offset: number): void {
    target.write(hash('sha256', this.#leafInput(text), 'binary'), offset, 32, 'latin1')
  }

  /** `0x00 ‖ text`, in the scratch buffer. */
  #leafInput(text: string): Buffer {
    this.#load(text)
    this.#scratch[32] = 0x00
    return (this.#leafInputs[this.#length] ??= this.#scratch.subarray(32, 33 + this.#length))
  }

  #load(text: string): void {
    if (text === this.#text) return
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (33 + text.length * 3 > this.#scratch.length) {
      this.#scratch = Buffer.allocUnsafe(33 + text.length * 3)
      this.#chainInputs = []
      this.#leafInputs = []
    }
    this.#length = this.#scratch.write(text, 33, 'utf8')
    this.#text = text
  }
}
