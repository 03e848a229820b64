import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { binarySupported, binaryToText, BinaryFormatError, textToBinary } from './binary.js'

// Byte-for-byte agreement with PostgreSQL is tested against a real server in pgwire.test.ts; these
// are the round trips and refusals around it.
describe('binary format of the common types', () => {
  const roundTrips: readonly [number, string][] = [
    [16, 't'], [16, 'f'], [17, '\\x'], [17, '\\x00ff'], [20, '-9223372036854775808'], [20, '9223372036854775807'], [21, '-32768'], [23, '2147483647'], [26, '4294967295'],
    [701, '-0.1'], [701, 'NaN'], [701, '-Infinity'], [701, '1e+300'], [701, '5e-324'], [700, '1.5'],
    [1700, '0'], [1700, '0.00'], [1700, '-12.3400'], [1700, '123456789.000000001'], [1700, '0.00012'], [1700, '10000'], [1700, '-99999999.99990000'], [1700, 'NaN'], [1700, 'Infinity'], [1700, '-Infinity'], [1700, '1.0000000000000000000001'],
    [2950, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'], [3802, '{"a": 1}'], [25, 'héllo ✓'],
    [1082, '2024-02-29'], [1082, '0001-01-01'], [1082, '9999-12-31'], [1082, 'infinity'], [1082, '-infinity'],
    [1114, '1999-12-31 23:59:59.500000'], [1114, '1970-01-01 00:00:00.000001'], [1114, '0001-01-01 00:00:00.000000'], [1114, 'infinity'],
    [1184, '2024-01-02 03:04:05.060000+00'], [1184, '-infinity'],
    [1007, '{}'], [1007, '{1,NULL,-3}'], [1016, '{{1,2},{3,4}}'], [1009, '{"a b","c\\"d","NULL","",plain,"x\\\\y"}'], [1001, '{"\\\\x01ff"}'],
    [1185, '{"2024-01-02 03:04:05.000000+00"}'], [1231, '{1.5,NULL,NaN}'],
  ]
  for (const [oid, text] of roundTrips) {
    it(`${oid} ${text}: binary and back to the same text`, () => assert.equal(binaryToText(oid, textToBinary(oid, text)), text))
  }

  it('a zoned timestamp in another offset is the same instant in UTC', () => {
    assert.equal(binaryToText(1184, textToBinary(1184, '2024-01-02 03:04:05.06+05:30')), '2024-01-01 21:34:05.060000+00')
    assert.equal(binaryToText(1184, textToBinary(1184, '2024-01-02 03:04:05-03:30:15')), '2024-01-02 06:34:20.000000+00')
  })

  it('refuses what is not its type’s format, never guessing', () => {
    assert.throws(() => binaryToText(23, Buffer.from([0, 1])), BinaryFormatError)
    assert.throws(() => binaryToText(3802, Buffer.from([2, 0x7b, 0x7d])), BinaryFormatError)
    assert.throws(() => binaryToText(25, Buffer.from([0xff])), BinaryFormatError)
    assert.throws(() => binaryToText(1700, Buffer.from('000100000000000027100000', 'hex')), BinaryFormatError)
    assert.throws(() => textToBinary(17, '\\001'), BinaryFormatError)
    assert.throws(() => textToBinary(1082, '01/02/2024'), BinaryFormatError)
    assert.throws(() => textToBinary(1082, '2024-02-30'), BinaryFormatError)
    assert.throws(() => textToBinary(1114, '2024-01-02 03:04:05+00'), BinaryFormatError)
    assert.throws(() => textToBinary(1184, '2024-01-02 03:04:05 BC'), BinaryFormatError)
    assert.throws(() => textToBinary(21, '32768'), BinaryFormatError)
    assert.throws(() => textToBinary(20, '9223372036854775808'), BinaryFormatError)
    assert.throws(() => textToBinary(701, '1,5'), BinaryFormatError)
    assert.throws(() => textToBinary(1007, '{{1,2},{3}}'), BinaryFormatError)
    assert.throws(() => textToBinary(1007, '[0:1]={1,2}'), BinaryFormatError)
    assert.throws(() => textToBinary(1007, '{1,2'), BinaryFormatError)
    assert.throws(() => binaryToText(1007, textToBinary(1016, '{1}')), BinaryFormatError)
    assert.equal(binarySupported(1186), false) // interval
    assert.throws(() => textToBinary(1186, '1 day'), BinaryFormatError)
  })
})
