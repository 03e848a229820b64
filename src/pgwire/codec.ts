import { Writer } from 'pg-protocol/dist/buffer-writer.js'
import type { ColumnDescription } from '../connectors/pg-pipeline.js'

export type { ColumnDescription }

/** Largest frontend message accepted (statement text plus parameters); larger ones end the session. */
export const MAX_MESSAGE_BYTES = 1024 * 1024 + 65_536

/** Protocol version 3.0, and the special startup codes (PostgreSQL docs, "Message Formats"). */
export const PROTOCOL_V3 = 196_608
export const SSL_REQUEST = 80_877_103
export const GSSENC_REQUEST = 80_877_104
export const CANCEL_REQUEST = 80_877_102

/** A protocol violation: answered with an ErrorResponse (SQLSTATE 08P01) and a closed connection. */
export class ProtocolError extends Error {}

/** One frontend message: its type byte and its body (without the length word). */
export interface FrontendMessage {
  readonly type: string
  readonly body: Buffer
}

/**
 * Cuts frontend messages out of the byte stream: the untyped startup packet first, then typed
 * messages. Lengths are checked before anything is buffered past them.
 */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0)
  #startup = true

  /** Appends received bytes. */
  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
  }

  /** Expects another untyped startup packet next (after an SSLRequest was answered). */
  expectStartup(): void {
    this.#startup = true
  }

  /** The next whole message, or `undefined` until more bytes arrive; throws ProtocolError on a bad length. */
  next(): FrontendMessage | undefined {
    if (this.#startup) {
      if (this.#buffer.length < 4) return undefined
      const length = this.#buffer.readInt32BE(0)
      if (length < 8 || length > 10_000) throw new ProtocolError('invalid startup packet length')
      if (this.#buffer.length < length) return undefined
      const body = this.#buffer.subarray(4, length)
      this.#buffer = this.#buffer.subarray(length)
      this.#startup = false
      return { type: '', body }
    }
    if (this.#buffer.length < 5) return undefined
    const length = this.#buffer.readInt32BE(1)
    if (length < 4 || length > MAX_MESSAGE_BYTES) throw new ProtocolError(`invalid message length ${length}`)
    if (this.#buffer.length < length + 1) return undefined
    const type = String.fromCharCode(this.#buffer[0]!)
    const body = this.#buffer.subarray(5, length + 1)
    this.#buffer = this.#buffer.subarray(length + 1)
    return { type, body }
  }
}

/** Reads the fields of one message body; every read is bounds-checked (ProtocolError past the end). */
export class BodyReader {
  #offset = 0
  constructor(readonly body: Buffer) {}

  int16(): number {
    this.#need(2)
    const value = this.body.readInt16BE(this.#offset)
    this.#offset += 2
    return value
  }

  int32(): number {
    this.#need(4)
    const value = this.body.readInt32BE(this.#offset)
    this.#offset += 4
    return value
  }

  byte(): string {
    this.#need(1)
    return String.fromCharCode(this.body[this.#offset++]!)
  }

  cstring(): string {
    const end = this.body.indexOf(0, this.#offset)
    if (end < 0) throw new ProtocolError('unterminated string')
    const text = this.body.toString('utf8', this.#offset, end)
    this.#offset = end + 1
    return text
  }

  bytes(length: number): Buffer {
    if (length < 0) throw new ProtocolError('negative length')
    this.#need(length)
    const value = this.body.subarray(this.#offset, this.#offset + length)
    this.#offset += length
    return value
  }

  get done(): boolean {
    return this.#offset >= this.body.length
  }

  #need(n: number): void {
    if (this.#offset + n > this.body.length) throw new ProtocolError('message shorter than its fields')
  }
}

/** The startup packet's parameters (`user`, `database`, `application_name`, …). */
export function startupParameters(body: Buffer): Map<string, string> {
  const reader = new BodyReader(body.subarray(4))
  const parameters = new Map<string, string>()
  for (;;) {
    const name = reader.cstring()
    if (name === '') break
    parameters.set(name, reader.cstring())
  }
  return parameters
}

/** Fields of an ErrorResponse or NoticeResponse (single-letter codes of the protocol). */
export interface ErrorFields {
  readonly severity: 'ERROR' | 'FATAL' | 'NOTICE' | 'WARNING'
  readonly code: string
  readonly message: string
  readonly detail?: string | undefined
  readonly hint?: string | undefined
  readonly position?: string | undefined
  readonly where?: string | undefined
  readonly schema?: string | undefined
  readonly table?: string | undefined
  readonly column?: string | undefined
  readonly constraint?: string | undefined
}


/** Backend messages, serialized with pg-protocol's Writer (which writes the type byte and length). */
export const backend = {
  authenticationOk: (): Buffer => new Writer().addInt32(0).flush(0x52),
  authenticationCleartextPassword: (): Buffer => new Writer().addInt32(3).flush(0x52),
  parameterStatus: (name: string, value: string): Buffer => new Writer().addCString(name).addCString(value).flush(0x53),
  backendKeyData: (pid: number, secret: number): Buffer => new Writer().addInt32(pid).addInt32(secret).flush(0x4b),
  readyForQuery: (status: 'I' | 'T' | 'E'): Buffer => new Writer().addString(status).flush(0x5a),
  error: (fields: ErrorFields): Buffer => fieldsMessage(0x45, fields),
  notice: (fields: ErrorFields): Buffer => fieldsMessage(0x4e, fields),
  commandComplete: (tag: string): Buffer => new Writer().addCString(tag).flush(0x43),
  emptyQueryResponse: (): Buffer => new Writer().flush(0x49),
  parseComplete: (): Buffer => new Writer().flush(0x31),
  bindComplete: (): Buffer => new Writer().flush(0x32),
  closeComplete: (): Buffer => new Writer().flush(0x33),
  noData: (): Buffer => new Writer().flush(0x6e),
  portalSuspended: (): Buffer => new Writer().flush(0x73),
  copyOutResponse: (binary: boolean, columnFormats: readonly number[]): Buffer => copyResponse(0x48, binary, columnFormats),
  copyInResponse: (binary: boolean, columnFormats: readonly number[]): Buffer => copyResponse(0x47, binary, columnFormats),
  copyData: (chunk: Buffer): Buffer => new Writer().add(chunk).flush(0x64),
  copyDone: (): Buffer => new Writer().flush(0x63),
  notification: (pid: number, channel: string, payload: string): Buffer => new Writer().addInt32(pid).addCString(channel).addCString(payload).flush(0x41),
  parameterDescription: (oids: readonly number[]): Buffer => {
    const writer = new Writer().addInt16(oids.length)
    for (const oid of oids) writer.addInt32(oid)
    return writer.flush(0x74)
  },
  /** RowDescription; `formats` gives each column's format code (all text when absent). */
  rowDescription: (columns: readonly ColumnDescription[], formats?: readonly number[]): Buffer => {
    const writer = new Writer().addInt16(columns.length)
    for (const [index, column] of columns.entries()) {
      writer.addCString(column.name).addInt32(column.tableID).addInt16(column.columnID).addInt32(column.dataTypeID).addInt16(column.dataTypeSize).addInt32(column.dataTypeModifier).addInt16(formats?.[index] ?? 0)
    }
    return writer.flush(0x54)
  },
  /** DataRow: text values in UTF-8, binary ones as given. */
  dataRow: (values: readonly (string | Buffer | null)[]): Buffer => {
    const writer = new Writer().addInt16(values.length)
    for (const value of values) {
      if (value === null) writer.addInt32(-1)
      else {
        const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
        writer.addInt32(bytes.length).add(bytes)
      }
    }
    return writer.flush(0x44)
  },
}

function copyResponse(code: number, binary: boolean, columnFormats: readonly number[]): Buffer {
  const writer = new Writer().addString(binary ? '\x01' : '\0').addInt16(columnFormats.length)
  for (const format of columnFormats) writer.addInt16(format)
  return writer.flush(code)
}

function fieldsMessage(code: number, fields: ErrorFields): Buffer {
  const writer = new Writer().addString('S').addCString(fields.severity).addString('V').addCString(fields.severity).addString('C').addCString(fields.code).addString('M').addCString(clean(fields.message))
  if (fields.detail) writer.addString('D').addCString(clean(fields.detail))
  if (fields.hint) writer.addString('H').addCString(clean(fields.hint))
  for (const [code, value] of [['P', fields.position], ['W', fields.where], ['s', fields.schema], ['t', fields.table], ['c', fields.column], ['n', fields.constraint]] as const) {
    if (value) writer.addString(code).addCString(clean(value))
  }
  return writer.addString('\0').flush(code)
}

/** Text in a C string field cannot hold NUL. */
function clean(text: string): string {
  return text.replaceAll('\0', '')
}
