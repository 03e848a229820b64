/**
 * Operators of the built-in types. An operator is a function call in disguise, and
 * `CREATE OPERATOR === (FUNCTION = do_stuff)` makes any symbol run any function, so operators
 * are allow-listed like functions: a symbol not named here, or one qualified with a schema other
 * than `pg_catalog` (`OPERATOR(myschema.+)`), makes a statement not read-only.
 */
const READ_ONLY_OPERATORS: ReadonlySet<string> = new Set([
  // comparison, arithmetic, bits, strings
  '=', '<>', '!=', '<', '>', '<=', '>=', '+', '-', '*', '/', '%', '^', '|/', '||/', '@', '&', '|',
  '#', '~', '<<', '>>', '||', '!!',
  // pattern matching (LIKE, ILIKE, SIMILAR TO and regular expressions)
  '~~', '!~~', '~~*', '!~~*', '~*', '!~', '!~*', '^@', '~<~', '~<=~', '~>=~', '~>~',
  // containment and overlap (arrays, ranges, geometry, network addresses, full-text search)
  '@>', '<@', '&&', '<<=', '>>=', '-|-', '&<', '&>', '<<|', '|>>', '&<|', '|&>', '<->', '<^', '>^',
  '?-', '?|', '?-|', '?||', '?#', '@-@', '@@', '@@@', '~=', '##', '<#>', '<=>',
  // json and jsonb
  '->', '->>', '#>', '#>>', '?', '?&', '#-', '@?',
  // keywords the parser stores as operator names
  'BETWEEN', 'NOT BETWEEN', 'BETWEEN SYMMETRIC', 'NOT BETWEEN SYMMETRIC',
])

/**
 * Whether the operator named by the parser's name list (`["="]`, `["pg_catalog", "+"]`,
 * `["myschema", "==="]`) is a known built-in one.
 */
export function isReadOnlyOperator(names: readonly string[]): boolean {
  if (names.length === 1) return READ_ONLY_OPERATORS.has(names[0] ?? '')
  return names.length === 2 && names[0] === 'pg_catalog' && READ_ONLY_OPERATORS.has(names[1] ?? '')
}
