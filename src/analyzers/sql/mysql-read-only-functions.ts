/**
 * Built-in MySQL and MariaDB functions known to change nothing, hold nothing and read nothing
 * outside the tables a statement names.
 *
 * An allow-list on purpose: any other function — a stored function (which may write), a loadable
 * UDF, or a built-in with an effect — makes a statement not read-only. Left out on purpose:
 * `SLEEP` and `BENCHMARK` (hold a connection as long as asked), the lock functions (`GET_LOCK`,
 * `RELEASE_LOCK`, `RELEASE_ALL_LOCKS`, `IS_FREE_LOCK`, `IS_USED_LOCK`), `LOAD_FILE` (reads the
 * server's disk), `MASTER_POS_WAIT`/`SOURCE_POS_WAIT`/`WAIT_FOR_EXECUTED_GTID_SET` (wait),
 * `LAST_INSERT_ID` (sets a session value when given an argument), `NEXTVAL`/`SETVAL`/`LASTVAL`
 * (sequences), `NAME_CONST`, `VALUES`, and every encryption and compression function that takes
 * a key or reads session state, and `UUID_SHORT` (advances a server-wide counter that a read-only
 * transaction does not stop). Only names that are built-in on both MySQL 8 and MariaDB 10.6 or later:
 * a name built into one only (`REGEXP_LIKE`, `ANY_VALUE`, `MEMBER_OF` on MariaDB; `NVL`,
 * `SFORMAT`, `JSON_EQUALS`, `TO_CHAR` on MySQL) calls the current database's stored function of
 * that name on the other, written exactly like the built-in. Only unqualified names written without quotes are looked up here:
 * `db.lower()` and `` `lower`() `` name a stored function, whatever the name.
 */
const READ_ONLY_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates and window functions
  'count', 'sum', 'avg', 'min', 'max', 'group_concat', 'bit_and', 'bit_or', 'bit_xor', 'std', 'stddev',
  'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp', 'json_arrayagg', 'json_objectagg',
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead',
  'first_value', 'last_value', 'nth_value',
  // control flow and comparison
  'if', 'ifnull', 'nullif', 'coalesce', 'greatest', 'least', 'isnull', 'interval', 'strcmp',
  // strings
  'ascii', 'bin', 'bit_length', 'char', 'char_length', 'character_length', 'concat', 'concat_ws', 'elt',
  'export_set', 'field', 'find_in_set', 'format', 'from_base64', 'to_base64', 'hex', 'unhex', 'insert',
  'instr', 'lcase', 'left', 'length', 'octet_length', 'locate', 'lower', 'lpad', 'ltrim', 'make_set', 'mid',
  'oct', 'ord', 'position', 'quote', 'repeat', 'replace', 'reverse', 'right', 'rpad', 'rtrim', 'soundex',
  'space', 'substr', 'substring', 'substring_index', 'trim', 'ucase', 'upper', 'weight_string',
  'regexp_instr', 'regexp_replace', 'regexp_substr', 'char_length', 'collation', 'charset',
  'coercibility', 'md5', 'sha', 'sha1', 'sha2', 'crc32', 'uuid',
  'inet_aton', 'inet_ntoa', 'inet6_aton', 'inet6_ntoa', 'is_ipv4', 'is_ipv6',
  // numbers
  'abs', 'acos', 'asin', 'atan', 'atan2', 'ceil', 'ceiling', 'conv', 'cos', 'cot', 'degrees', 'div', 'exp',
  'floor', 'ln', 'log', 'log10', 'log2', 'mod', 'pi', 'pow', 'power', 'radians', 'rand', 'round', 'sign',
  'sin', 'sqrt', 'tan', 'truncate', 'bit_count',
  // dates and times
  'adddate', 'addtime', 'convert_tz', 'curdate', 'current_date', 'current_time', 'current_timestamp',
  'curtime', 'date', 'date_add', 'date_format', 'date_sub', 'datediff', 'day', 'dayname', 'dayofmonth',
  'dayofweek', 'dayofyear', 'extract', 'from_days', 'from_unixtime', 'get_format', 'hour', 'last_day',
  'localtime', 'localtimestamp', 'makedate', 'maketime', 'microsecond', 'minute', 'month', 'monthname',
  'now', 'period_add', 'period_diff', 'quarter', 'sec_to_time', 'second', 'str_to_date', 'subdate',
  'subtime', 'sysdate', 'time', 'time_format', 'time_to_sec', 'timediff', 'timestamp', 'timestampadd',
  'timestampdiff', 'to_days', 'to_seconds', 'unix_timestamp', 'utc_date', 'utc_time', 'utc_timestamp',
  'week', 'weekday', 'weekofyear', 'year', 'yearweek',
  // JSON
  'json_array', 'json_array_append', 'json_array_insert', 'json_contains', 'json_contains_path',
  'json_depth', 'json_extract', 'json_insert', 'json_keys', 'json_length', 'json_merge',
  'json_merge_patch', 'json_merge_preserve', 'json_object', 'json_quote',
  'json_remove', 'json_replace', 'json_search', 'json_set', 'json_type', 'json_unquote', 'json_valid',
  'json_value',
  // casts and session facts that change nothing
  'cast', 'convert', 'binary', 'database', 'schema', 'user', 'current_user', 'session_user', 'system_user',
  'version', 'connection_id', 'found_rows', 'row_count', 'current_role',
])

/**
 * Whether a MySQL function call changes nothing: `name` lower-cased, unqualified and unquoted.
 *
 * @example
 * isReadOnlyMysqlFunction('lower') // true
 * isReadOnlyMysqlFunction('sleep') // false
 */
export function isReadOnlyMysqlFunction(name: string): boolean {
  return READ_ONLY_FUNCTIONS.has(name)
}
