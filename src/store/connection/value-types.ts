import { types as pgliteTypes } from '@electric-sql/pglite'
import pg from 'pg'

// What the store returns for a column must not depend on the store it runs on. `pg` and PGlite
// disagree by default: int8 is a string in pg and a number-or-bigint in PGlite, `date` is a
// local-midnight Date in pg and a UTC-midnight Date in PGlite, bytea is a Buffer or a
// Uint8Array, numeric[] is float[] in pg but string[] in PGlite, interval is an object or a
// string. So both stores get the parsers below (text format, by type OID); every other type is
// parsed as each driver does by default, which agree for bool, int2/int4, float4/float8, text,
// varchar, uuid, json/jsonb, timestamptz and their arrays (checked by value-types tests).
//
// Parameters are serialized by each driver. They agree for strings, numbers, bigints, booleans,
// Dates (same instant), null and plain objects bound to json/jsonb. They differ for a JS array
// bound to json/jsonb (pg sends a PostgreSQL array literal): pass JSON as `JSON.stringify(v)`.

const INT8 = 20
const BYTEA = 17
const JSON_OID = 114
const DATE = 1082
const TIMESTAMP = 1114
const TIMESTAMPTZ = 1184
const INTERVAL = 1186
const NUMERIC = 1700
const JSONB = 3802

/**
 * int8 (bigint, count(*), sequences) as a JS number. The store's int8 values are counters and
 * sequence numbers, far below 2^53; a value beyond it throws rather than silently losing digits.
 */
function parseInt8(text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`int8 value ${text} is outside the range a JS number holds exactly (±2^53-1)`)
  }
  return value
}

const identity = (text: string): string => text
// pg's own parsers (postgres-date, postgres-bytea) are used by both stores, so the same text
// becomes the same value, infinity and BC dates included.
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as (text: string) => Date | number
const parseTimestamp = pg.types.getTypeParser(TIMESTAMP, 'text') as (text: string) => Date | number
const parseBytea = pg.types.getTypeParser(BYTEA, 'text') as (text: string) => Buffer
const parseJson = (text: string): unknown => JSON.parse(text)

/** Element parsers shared by both stores, keyed by type OID. */
const ELEMENT_PARSERS: Readonly<Record<number, (text: string) => unknown>> = {
  [INT8]: parseInt8,
  [NUMERIC]: identity,
  [DATE]: identity,
  [INTERVAL]: identity,
  [TIMESTAMP]: parseTimestamp,
  [TIMESTAMPTZ]: parseTimestamptz,
  [BYTEA]: parseBytea,
  [JSON_OID]: parseJson,
  [JSONB]: parseJson,
}

/** Array type OIDs (pg_type.typarray) of the element types above. */
const ARRAY_OF: Readonly<Record<number, number>> = {
  1016: INT8,
  1231: NUMERIC,
  1182: DATE,
  1187: INTERVAL,
  1115: TIMESTAMP,
  1185: TIMESTAMPTZ,
  1001: BYTEA,
  199: JSON_OID,
  3807: JSONB,
}

/**
 * Parsers for PGlite's `parsers` option. Array types need no entry: PGlite builds every array
 * parser from its element parser when it starts (`_initArrayTypes`).
 */
export const PGLITE_PARSERS: Readonly<Record<number, (text: string) => unknown>> = ELEMENT_PARSERS

const PG_PARSERS: Readonly<Record<number, (text: string) => unknown>> = {
  ...ELEMENT_PARSERS,
  ...Object.fromEntries(
    Object.entries(ARRAY_OF).map(([arrayOid, elementOid]) => {
      const element = ELEMENT_PARSERS[elementOid]!
      // PGlite's array parser, so arrays are split identically in both stores.
      const parse = (text: string): unknown => pgliteTypes.arrayParser(text, element, Number(arrayOid))
      return [arrayOid, parse]
    }),
  ),
}

/** The `types` option for `pg.Pool`/`pg.Client`: ours first, then pg's defaults. Never global. */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && PG_PARSERS[oid] !== undefined
      ? PG_PARSERS[oid]
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
}
