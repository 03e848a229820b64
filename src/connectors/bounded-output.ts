/**
 * Collects a stream's bytes up to a limit and counts the rest: memory stays bounded however much a
 * command prints or a server sends.
 */
export class BoundedOutput {
  readonly #limit: number
  readonly #chunks: Buffer[] = []
  #kept = 0
  /** Every byte seen, kept or not. */
  total = 0

  constructor(limit: number) {
    this.#limit = limit
  }

  /** Takes one chunk; returns false once the limit is reached (what follows is only counted). */
  push(chunk: Buffer | Uint8Array | string): boolean {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    this.total += bytes.length
    const room = this.#limit - this.#kept
    if (room > 0) {
      const kept = bytes.length <= room ? bytes : bytes.subarray(0, room)
      // A copy: the caller may reuse its buffer.
      this.#chunks.push(Buffer.from(kept))
      this.#kept += kept.length
    }
    return this.#kept < this.#limit
  }

  /** True when bytes were dropped. */
  get truncated(): boolean {
    return this.total > this.#kept
  }

  /** The kept bytes. */
  bytes(): Buffer {
    return Buffer.concat(this.#chunks, this.#kept)
  }

  /** The kept bytes as UTF-8; a character cut at the limit is dropped rather than garbled. */
  text(): string {
    const bytes = this.bytes()
    return (this.truncated ? bytes.subarray(0, completeUtf8Length(bytes)) : bytes).toString('utf8')
  }
}

/** The length of `bytes` without a multi-byte UTF-8 character cut off at its end. */
function completeUtf8Length(bytes: Buffer): number {
  // Walk back over at most 3 continuation bytes to the lead byte of the last character.
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!
    if ((byte & 0xc0) === 0x80) continue
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return needed > back ? bytes.length - back : bytes.length
  }
  return bytes.length
}
