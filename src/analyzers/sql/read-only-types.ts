/**
 * Built-in PostgreSQL types: casting to them (`x::int`, `CAST(x AS text)`, a column definition
 * list `AS r(x jsonb)`) runs only built-in input and cast functions.
 *
 * An allow-list on purpose: a type not named here may be someone's own, and converting a value
 * to it can run any function. A domain's CHECK may call a function that writes (`'4'::my_domain`
 * deleted rows as a "read-only" SELECT), a cast may be `WITH FUNCTION`, and a composite's fields
 * may be such domains. Only unqualified names and names qualified with `pg_catalog` are looked
 * up here, as for functions.
 */
const READ_ONLY_TYPES: ReadonlySet<string> = new Set([
  'aclitem', 'bit', 'bool', 'box', 'bpchar', 'bytea', 'char', 'cid', 'cidr', 'circle', 'date',
  'datemultirange', 'daterange', 'float4', 'float8', 'gtsvector', 'inet', 'int2', 'int2vector',
  'int4', 'int4multirange', 'int4range', 'int8', 'int8multirange', 'int8range', 'interval', 'json',
  'jsonb', 'jsonpath', 'line', 'lseg', 'macaddr', 'macaddr8', 'money', 'name', 'numeric',
  'nummultirange', 'numrange', 'oid', 'oidvector', 'path', 'point', 'polygon', 'refcursor',
  'regclass', 'regcollation', 'regconfig', 'regdictionary', 'regnamespace', 'regoper',
  'regoperator', 'regproc', 'regprocedure', 'regrole', 'regtype', 'text', 'tid', 'time',
  'timestamp', 'timestamptz', 'timetz', 'tsmultirange', 'tsquery', 'tsrange', 'tstzmultirange',
  'tstzrange', 'tsvector', 'txid_snapshot', 'uuid', 'varbit', 'varchar', 'xid', 'xid8', 'xml',
  'pg_lsn', 'pg_snapshot', 'record', 'unknown',
  // spellings the parser keeps (most SQL-standard names arrive as pg_catalog.int4 and the like)
  'int', 'integer', 'smallint', 'bigint', 'real', 'float', 'boolean', 'decimal', 'character',
])

/**
 * Whether converting a value to the type named by the parser's name list (`["pg_catalog",
 * "int4"]`, `["text"]`, `["myschema", "money"]`) provably runs only built-in code.
 *
 * @example isReadOnlyType(['pg_catalog', 'int4']) // true
 * @example isReadOnlyType(['my_domain'])           // false: its CHECK may call anything
 */
export function isReadOnlyType(names: readonly string[]): boolean {
  if (names.length === 1) return READ_ONLY_TYPES.has(names[0] ?? '')
  return names.length === 2 && names[0] === 'pg_catalog' && READ_ONLY_TYPES.has(names[1] ?? '')
}
