/**
 * PostgreSQL's binary format for the common types, both ways, as the wire gateway needs it:
 * drivers such as pgx, tokio-postgres and asyncpg send parameters and ask for results in binary.
 * The gateway keeps text at its core (an action's parameters are text, part of its digest, and
 * shown to approvers; the target is driven in text), so a binary parameter is turned into the
 * text the target would print for it, and a text result into the bytes the target would send.
 * A type not listed here is not guessed at: the caller refuses it (0A000) before anything runs.
 *
 * Formats: PostgreSQL's `*send`/`*recv` functions (src/backend/utils/adt); times count from
 * 2000-01-01 00:00:00 UTC, in days (date) or microseconds (timestamp, timestamptz).
 */

/** Type OIDs (pg_type.dat) whose binary format is handled here. */
const BOOL = 16
const BYTEA = 17
const CHAR = 18
const NAME = 19
const INT8 = 20
const INT2 = 21
const INT4 = 23
const TEXT = 25
const OID = 26
const JSON_OID = 114
const FLOAT4 = 700
const FLOAT8 = 701
const UNKNOWN = 705
const BPCHAR = 1042
const VARCHAR = 1043
const DATE = 1082
const TIMESTAMP = 1114
const TIMESTAMPTZ = 1184
const NUMERIC = 1700
const UUID = 2950
const JSONB = 3802

const TEXT_LIKE = new Set([CHAR, NAME, TEXT, JSON_OID, UNKNOWN, BPCHAR, VARCHAR])
const SUPPORTED = new Set([BOOL, BYTEA, INT8, INT2, INT4, OID, FLOAT4, FLOAT8, DATE, TIMESTAMP, TIMESTAMPTZ, NUMERIC, UUID, JSONB, ...TEXT_LIKE])

/** Array types (pg_type.dat) of the element types above: their OID, and their element's. */
const ARRAYS = new Map<number, number>([
  [1000, BOOL], [1001, BYTEA], [1002, CHAR], [1003, NAME], [1016, INT8], [1005, INT2], [1007, INT4], [1009, TEXT], [1028, OID],
  [199, JSON_OID], [1021, FLOAT4], [1022, FLOAT8], [1014, BPCHAR], [1015, VARCHAR], [1182, DATE], [1115, TIMESTAMP], [1185, TIMESTAMPTZ],
  [1231, NUMERIC], [2951, UUID], [3807, JSONB],
])

/** Whether values of type `oid` can be taken and given in binary here. */
export function binarySupported(oid: number): boolean {
  return SUPPORTED.has(oid) || ARRAYS.has(oid)
}

/** A value that is not what its type's binary or text format says: the statement fails (22P03, as PostgreSQL's). */
export class BinaryFormatError extends Error {}

const EPOCH_2000_MS = Date.UTC(2000, 0, 1)
const DAY_MS = 86_400_000
const INT64_MAX = 0x7fffffffffffffffn
const INT64_MIN = -0x8000000000000000n
const INT32_MAX = 0x7fffffff
const INT32_MIN = -0x80000000

/** The text PostgreSQL would print for a binary value of type `oid` (which must be supported). */
export function binaryToText(oid: number, bytes: Buffer): string {
  if (TEXT_LIKE.has(oid)) return utf8(bytes)
  const element = ARRAYS.get(oid)
  if (element !== undefined) return arrayText(element, bytes)
  switch (oid) {
    case BOOL:
      return exactly(bytes, 1)[0] === 0 ? 'f' : 't'
    case BYTEA:
      return `\\x${bytes.toString('hex')}`
    case INT2:
      return String(exactly(bytes, 2).readInt16BE(0))
    case INT4:
      return String(exactly(bytes, 4).readInt32BE(0))
    case INT8:
      return String(exactly(bytes, 8).readBigInt64BE(0))
    case OID:
      return String(exactly(bytes, 4).readUInt32BE(0))
    case FLOAT4:
      return floatText(exactly(bytes, 4).readFloatBE(0))
    case FLOAT8:
      return floatText(exactly(bytes, 8).readDoubleBE(0))
    case UUID: {
      const hex = exactly(bytes, 16).toString('hex')
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    }
    case JSONB:
      if (bytes[0] !== 1) throw new BinaryFormatError('unsupported jsonb version number')
      return utf8(bytes.subarray(1))
    case DATE: {
      const days = exactly(bytes, 4).readInt32BE(0)
      if (days === INT32_MAX) return 'infinity'
      if (days === INT32_MIN) return '-infinity'
      return isoDate(new Date(EPOCH_2000_MS + days * DAY_MS))
    }
    case TIMESTAMP:
    case TIMESTAMPTZ: {
      const micros = exactly(bytes, 8).readBigInt64BE(0)
      if (micros === INT64_MAX) return 'infinity'
      if (micros === INT64_MIN) return '-infinity'
      const ms = Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0)
      const extra = Number(((micros % 1000n) + 1000n) % 1000n)
      const at = new Date(EPOCH_2000_MS + ms)
      const fraction = String(at.getUTCMilliseconds() * 1000 + extra).padStart(6, '0')
      const time = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${fraction}`
      return `${isoDate(at)} ${time}${oid === TIMESTAMPTZ ? '+00' : ''}`
    }
    case NUMERIC:
      return numericText(bytes)
    default:
      throw new BinaryFormatError(`no binary format for type ${oid}`)
  }
}

/** The bytes PostgreSQL would send in binary for a value it printed as `text`, of type `oid` (which must be supported). */
export function textToBinary(oid: number, text: string): Buffer {
  if (TEXT_LIKE.has(oid)) return Buffer.from(text, 'utf8')
  const element = ARRAYS.get(oid)
  if (element !== undefined) return arrayBinary(element, text)
  switch (oid) {
    case BOOL:
      if (text !== 't' && text !== 'f') throw new BinaryFormatError(`not a boolean: ${text}`)
      return Buffer.from([text === 't' ? 1 : 0])
    case BYTEA:
      if (!/^\\x(?:[0-9a-f]{2})*$/.test(text)) throw new BinaryFormatError('bytea is not in hex output format (bytea_output = hex)')
      return Buffer.from(text.slice(2), 'hex')
    case INT2:
      return sized(2, (buffer) => buffer.writeInt16BE(integer(text, -32_768, 32_767)))
    case INT4:
      return sized(4, (buffer) => buffer.writeInt32BE(integer(text, INT32_MIN, INT32_MAX)))
    case OID:
      return sized(4, (buffer) => buffer.writeUInt32BE(integer(text, 0, 0xffffffff)))
    case INT8: {
      if (!/^-?\d{1,19}$/.test(text)) throw new BinaryFormatError(`not an integer: ${text}`)
      return sized(8, (buffer) => buffer.writeBigInt64BE(BigInt(text)))
    }
    case FLOAT4:
      return sized(4, (buffer) => buffer.writeFloatBE(float(text)))
    case FLOAT8:
      return sized(8, (buffer) => buffer.writeDoubleBE(float(text)))
    case UUID:
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text)) throw new BinaryFormatError(`not a uuid: ${text}`)
      return Buffer.from(text.replaceAll('-', ''), 'hex')
    case JSONB:
      return Buffer.concat([Buffer.from([1]), Buffer.from(text, 'utf8')])
    case DATE:
      return sized(4, (buffer) => buffer.writeInt32BE(dateDays(text)))
    case TIMESTAMP:
    case TIMESTAMPTZ:
      return sized(8, (buffer) => buffer.writeBigInt64BE(timestampMicros(text, oid === TIMESTAMPTZ)))
    case NUMERIC:
      return numericBinary(text)
    default:
      throw new BinaryFormatError(`no binary format for type ${oid}`)
  }
}

function utf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new BinaryFormatError('invalid byte sequence for encoding "UTF8"')
  }
}

function exactly(bytes: Buffer, length: number): Buffer {
  if (bytes.length !== length) throw new BinaryFormatError(`incorrect binary data format: ${bytes.length} bytes where ${length} were expected`)
  return bytes
}

function sized(length: number, write: (buffer: Buffer) => void): Buffer {
  const buffer = Buffer.alloc(length)
  try {
    write(buffer)
  } catch (error) {
    throw new BinaryFormatError(`value out of range: ${(error as Error).message}`)
  }
  return buffer
}

function integer(text: string, min: number, max: number): number {
  const value = /^-?\d{1,10}$/.test(text) ? Number(text) : Number.NaN
  if (!(value >= min && value <= max)) throw new BinaryFormatError(`not an integer in range: ${text}`)
  return value
}

/** PostgreSQL's float text (shortest round-trip digits since PostgreSQL 12) is JavaScript's, with its own words for the special values. */
function float(text: string): number {
  if (text === 'NaN') return Number.NaN
  if (text === 'Infinity') return Number.POSITIVE_INFINITY
  if (text === '-Infinity') return Number.NEGATIVE_INFINITY
  const value = /^-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i.test(text) ? Number(text) : Number.NaN
  if (Number.isNaN(value)) throw new BinaryFormatError(`not a number: ${text}`)
  return value
}

function floatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return 'Infinity'
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity'
  return Object.is(value, -0) ? '-0' : String(value)
}

const pad = (n: number): string => String(n).padStart(2, '0')

function isoDate(at: Date): string {
  const year = at.getUTCFullYear()
  if (year < 1 || year > 9999) throw new BinaryFormatError('date out of the range the gateway converts (years 1 to 9999)')
  return `${String(year).padStart(4, '0')}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`
}

/** `YYYY-MM-DD` (DateStyle ISO), or ±infinity: days since 2000-01-01. */
function dateDays(text: string): number {
  if (text === 'infinity') return INT32_MAX
  if (text === '-infinity') return INT32_MIN
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!match) throw new BinaryFormatError(`date not in ISO format (DateStyle ISO, years 1 to 9999): ${text}`)
  return Math.round((utc(match[1]!, match[2]!, match[3]!) - EPOCH_2000_MS) / DAY_MS)
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` and, for timestamptz, its offset `±HH[:MM[:SS]]`, or ±infinity: µs since 2000-01-01 UTC. */
function timestampMicros(text: string, zoned: boolean): bigint {
  if (text === 'infinity') return INT64_MAX
  if (text === '-infinity') return INT64_MIN
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([-+])(\d{2})(?::(\d{2}))?(?::(\d{2}))?)?$/.exec(text)
  if (!match || (match[8] !== undefined) !== zoned) throw new BinaryFormatError(`timestamp not in ISO format (DateStyle ISO, years 1 to 9999): ${text}`)
  const [, year, month, day, hours, minutes, seconds, fraction = '', sign, offsetHours = '0', offsetMinutes = '0', offsetSeconds = '0'] = match
  const offset = (sign === '-' ? -1 : 1) * (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60 + Number(offsetSeconds))
  const seconds2000 = (utc(year!, month!, day!) - EPOCH_2000_MS) / 1000 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds) - offset
  return BigInt(seconds2000) * 1_000_000n + BigInt(fraction.padEnd(6, '0'))
}

function utc(year: string, month: string, day: string): number {
  const at = new Date(Date.UTC(2000, Number(month) - 1, Number(day)))
  at.setUTCFullYear(Number(year))
  if (Number(year) < 1 || at.getUTCMonth() !== Number(month) - 1) throw new BinaryFormatError(`not a date: ${year}-${month}-${day}`)
  return at.getTime()
}

const NUMERIC_POS = 0x0000
const NUMERIC_NEG = 0x4000
const NUMERIC_NAN = 0xc000
const NUMERIC_PINF = 0xd000
const NUMERIC_NINF = 0xf000

/** numeric's text (`-12.3400`, `NaN`, `Infinity`) as numeric_send writes it: base-10000 digits, weight, sign, display scale. */
function numericBinary(text: string): Buffer {
  // PostgreSQL sends ±Infinity with a display scale of 32 (bits of its header read as one), NaN with 0.
  if (text === 'NaN') return header(0, 0, NUMERIC_NAN, 0)
  if (text === 'Infinity' || text === '-Infinity') return header(0, 0, text === 'Infinity' ? NUMERIC_PINF : NUMERIC_NINF, 32)
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text)
  if (!match) throw new BinaryFormatError(`not a numeric: ${text}`)
  const [, minus, whole, fraction = ''] = match
  const integral = whole!.replace(/^0+/, '')
  // Groups of four digits around the decimal point: the whole part padded on the left, the fraction on the right.
  const left = integral.padStart(Math.ceil(integral.length / 4) * 4, '0')
  const right = fraction.padEnd(Math.ceil(fraction.length / 4) * 4, '0')
  const digits: number[] = []
  for (let at = 0; at < left.length; at += 4) digits.push(Number(left.slice(at, at + 4)))
  for (let at = 0; at < right.length; at += 4) digits.push(Number(right.slice(at, at + 4)))
  let weight = left.length / 4 - 1
  while (digits.length > 0 && digits[0] === 0) {
    digits.shift()
    weight -= 1
  }
  while (digits.length > 0 && digits[digits.length - 1] === 0) digits.pop()
  if (digits.length === 0) weight = 0
  const buffer = header(digits.length, weight, minus === '-' && digits.length > 0 ? NUMERIC_NEG : NUMERIC_POS, fraction.length)
  digits.forEach((digit, index) => buffer.writeInt16BE(digit, 8 + 2 * index))
  return buffer
}

function header(count: number, weight: number, sign: number, scale: number): Buffer {
  const buffer = Buffer.alloc(8 + 2 * count)
  buffer.writeInt16BE(count, 0)
  buffer.writeInt16BE(weight, 2)
  buffer.writeUInt16BE(sign, 4)
  buffer.writeInt16BE(scale, 6)
  return buffer
}

/** numeric_recv's input as text, with its display scale. */
function numericText(bytes: Buffer): string {
  if (bytes.length < 8) throw new BinaryFormatError('incorrect binary data format for numeric')
  const count = bytes.readInt16BE(0)
  const weight = bytes.readInt16BE(2)
  const sign = bytes.readUInt16BE(4)
  const scale = bytes.readInt16BE(6)
  if (sign === NUMERIC_NAN) return 'NaN'
  if (sign === NUMERIC_PINF) return 'Infinity'
  if (sign === NUMERIC_NINF) return '-Infinity'
  if ((sign !== NUMERIC_POS && sign !== NUMERIC_NEG) || count < 0 || scale < 0 || scale > 16_383 || bytes.length !== 8 + 2 * count) throw new BinaryFormatError('incorrect binary data format for numeric')
  const digits = Array.from({ length: count }, (_, index) => bytes.readInt16BE(8 + 2 * index))
  if (digits.some((digit) => digit < 0 || digit > 9999)) throw new BinaryFormatError('invalid digit in external "numeric" value')
  // Digit i stands for digits[i] × 10000^(weight − i).
  let whole = ''
  for (let power = Math.max(weight, 0); power >= 0; power--) {
    const index = weight - power
    whole += String(index >= 0 && index < count ? digits[index]! : 0).padStart(4, '0')
  }
  whole = whole.replace(/^0+(?=\d)/, '')
  let fraction = ''
  for (let power = -1; fraction.length < scale; power--) {
    const index = weight - power
    fraction += String(index >= 0 && index < count ? digits[index]! : 0).padStart(4, '0')
  }
  fraction = fraction.slice(0, scale)
  const negative = sign === NUMERIC_NEG && /[1-9]/.test(whole + fraction)
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`
}

/** An array's elements, dimension by dimension: a nested list of element texts (null for NULL). */
type Nested = (string | null | Nested)[]

/**
 * array_out's text (`{1,2,NULL}`, `{{"a b","c\"d"},{e,f}}`; lower bounds of 1) as array_send
 * writes it: dimensions, a null flag, the element type, each dimension's size and lower bound
 * (1), then each element's length and bytes (-1 for NULL).
 */
function arrayBinary(element: number, text: string): Buffer {
  const reader = { text, at: 0 }
  const value = readArray(reader)
  if (reader.at !== text.length) throw new BinaryFormatError(`not an array literal with lower bounds of 1: ${text.slice(0, 40)}`)
  const dims: number[] = []
  for (let level: Nested | string | null = value; Array.isArray(level) && level.length > 0; level = level[0]!) dims.push(level.length)
  const items: (string | null)[] = []
  const flatten = (level: Nested, depth: number): void => {
    if (level.length !== (dims[depth] ?? 0)) throw new BinaryFormatError('multidimensional arrays must have sub-arrays of matching dimensions')
    for (const item of level) {
      if (Array.isArray(item) !== depth + 1 < dims.length) throw new BinaryFormatError('multidimensional arrays must have sub-arrays of matching dimensions')
      if (Array.isArray(item)) flatten(item, depth + 1)
      else items.push(item)
    }
  }
  if (dims.length > 0) flatten(value, 0)
  const head = Buffer.alloc(12 + 8 * dims.length)
  head.writeInt32BE(dims.length, 0)
  head.writeInt32BE(items.includes(null) ? 1 : 0, 4)
  head.writeUInt32BE(element, 8)
  dims.forEach((size, index) => {
    head.writeInt32BE(size, 12 + 8 * index)
    head.writeInt32BE(1, 16 + 8 * index)
  })
  const parts: Buffer[] = [head]
  for (const item of items) {
    const length = Buffer.alloc(4)
    if (item === null) {
      length.writeInt32BE(-1)
      parts.push(length)
      continue
    }
    const bytes = textToBinary(element, item)
    length.writeInt32BE(bytes.length)
    parts.push(length, bytes)
  }
  return Buffer.concat(parts)
}

/** One `{…}` of array_out's text, with the reader past it. */
function readArray(reader: { text: string; at: number }): Nested {
  const { text } = reader
  if (text[reader.at] !== '{') throw new BinaryFormatError(`not an array literal with lower bounds of 1: ${text.slice(0, 40)}`)
  reader.at += 1
  const items: Nested = []
  if (text[reader.at] === '}') {
    reader.at += 1
    return items
  }
  for (;;) {
    if (text[reader.at] === '{') items.push(readArray(reader))
    else if (text[reader.at] === '"') {
      let value = ''
      for (reader.at += 1; text[reader.at] !== '"'; reader.at += 1) {
        if (reader.at >= text.length) throw new BinaryFormatError('unterminated quoted array element')
        if (text[reader.at] === '\\') reader.at += 1
        value += text[reader.at]
      }
      reader.at += 1
      items.push(value)
    } else {
      const end = text.slice(reader.at).search(/[,}]/)
      if (end <= 0) throw new BinaryFormatError('malformed array element')
      const value = text.slice(reader.at, reader.at + end)
      reader.at += end
      items.push(value === 'NULL' ? null : value)
    }
    const next = text[reader.at]
    reader.at += 1
    if (next === '}') return items
    if (next !== ',') throw new BinaryFormatError('malformed array literal')
  }
}

/** array_recv's input as array_out prints it: elements quoted where array_out quotes them. */
function arrayText(element: number, bytes: Buffer): string {
  if (bytes.length < 12) throw new BinaryFormatError('incorrect binary data format for an array')
  const ndim = bytes.readInt32BE(0)
  const flags = bytes.readInt32BE(4)
  if (ndim < 0 || ndim > 6 || (flags !== 0 && flags !== 1)) throw new BinaryFormatError('invalid array dimensions or flags')
  if (bytes.readUInt32BE(8) !== element) throw new BinaryFormatError('wrong element type in a binary array')
  if (bytes.length < 12 + 8 * ndim) throw new BinaryFormatError('incorrect binary data format for an array')
  const dims: number[] = []
  for (let index = 0; index < ndim; index++) {
    const size = bytes.readInt32BE(12 + 8 * index)
    if (size < 0 || size > 1_000_000 || bytes.readInt32BE(16 + 8 * index) !== 1) throw new BinaryFormatError('array dimensions out of range, or a lower bound other than 1')
    dims.push(size)
  }
  let at = 12 + 8 * ndim
  const next = (): string => {
    if (at + 4 > bytes.length) throw new BinaryFormatError('incorrect binary data format for an array')
    const length = bytes.readInt32BE(at)
    at += 4
    if (length === -1) return 'NULL'
    if (length < 0 || at + length > bytes.length) throw new BinaryFormatError('incorrect binary data format for an array')
    const value = binaryToText(element, bytes.subarray(at, at + length))
    at += length
    return value === '' || /^null$/i.test(value) || /[{},"\\\s]/.test(value) ? `"${value.replace(/["\\]/g, '\\$&')}"` : value
  }
  const level = (depth: number): string => `{${Array.from({ length: dims[depth]! }, () => (depth + 1 < dims.length ? level(depth + 1) : next())).join(',')}}`
  const text = ndim === 0 || dims.includes(0) ? '{}' : level(0)
  if (at !== bytes.length) throw new BinaryFormatError('incorrect binary data format for an array')
  return text
}
