import { CATALOG_READ_ONLY_FUNCTIONS } from './read-only-functions.generated.js'

/**
 * Read-only names the catalog does not give as immutable or stable: volatile functions that only
 * read or draw random numbers, SQL syntax that may arrive as a call, and newer built-ins. Every
 * name here must stay off the generator's deny-list (read-only-functions.test.ts checks).
 */
export const READ_ONLY_BEYOND_CATALOG: readonly string[] = [
  // syntax the parser may give as a call
  'grouping', 'coalesce', 'nullif', 'greatest', 'least', 'trim', 'ilike_escape', 'current_timestamp',
  'current_date', 'current_time', 'localtime', 'localtimestamp', 'current_catalog', 'current_role',
  'user', 'json_scalar', 'json_serialize', 'xmlconcat', 'extract', 'overlaps', 'position', 'substring',
  // volatile, yet they only read the clock, random numbers or the server's state
  'random', 'random_normal', 'clock_timestamp', 'timeofday', 'array_sample', 'array_shuffle',
  'gen_random_uuid', 'uuidv4', 'uuidv7', 'current_query', 'pg_is_in_recovery', 'pg_is_wal_replay_paused',
  'pg_get_wal_replay_pause_state', 'pg_current_wal_lsn', 'pg_current_wal_insert_lsn',
  'pg_current_wal_flush_lsn', 'pg_last_wal_receive_lsn', 'pg_last_wal_replay_lsn',
  'pg_last_xact_replay_timestamp', 'pg_blocking_pids', 'pg_safe_snapshot_blocking_pids',
  'pg_jit_available', 'pg_notification_queue_usage', 'pg_xact_status', 'txid_status', 'currval', 'lastval',
  'pg_sequence_last_value', 'pg_control_checkpoint', 'pg_control_system', 'pg_control_init',
  'pg_control_recovery', 'pg_lock_status', 'pg_stat_get_io', 'pg_relation_size', 'pg_total_relation_size',
  'pg_table_size', 'pg_indexes_size', 'pg_database_size', 'pg_tablespace_size', 'pg_partition_tree',
  'pg_partition_ancestors',
  // newer than the PGlite we ship
  'pg_char_max_length',
]

/**
 * Built-in PostgreSQL functions known to change nothing and reach nothing outside the database:
 * the ones `pg_proc` calls immutable or stable in every overload, generated from the catalog of
 * the PGlite we ship by scripts/generate-read-only-functions.ts (which holds the deny-list of
 * those that still act, reach out or run code: see there), plus the few below.
 *
 * This is an allow-list on purpose: any function not named here — user-defined, from an
 * extension, or a built-in with an effect (`nextval`, `setval`, `set_config`, `pg_advisory_lock`,
 * `pg_terminate_backend`, `pg_notify`, `lo_export`, `dblink_exec`…) — makes a statement not
 * read-only. Also left out on purpose, although they write nothing:
 * - functions that read server files or directories (`pg_read_file`, `pg_ls_dir`, `pg_stat_file`),
 *   because auto-approving them would leak the server's disk;
 * - functions that run SQL given as text (`query_to_xml`, `ts_stat`, `ts_rewrite`), which could hide anything;
 * - `pg_sleep*`, which holds a connection and its locks for as long as asked;
 * - `txid_current`/`pg_current_xact_id`, which assign a transaction id (a write to the xid counter);
 * - `setseed`, which changes session state;
 * - `pg_input_is_valid`/`pg_input_error_info`, which run the input function of a type named in
 *   text, and `json(b)_populate_record(set)`, which fill in fields of the row type of their first
 *   argument: either runs the CHECK of a domain, which may call any function (a table's row type
 *   may hold one without the query naming it).
 * Only unqualified names and names qualified with `pg_catalog` are looked up here: a function
 * in any other schema is someone's own, whatever its name.
 */
const READ_ONLY_FUNCTIONS: ReadonlySet<string> = new Set([...CATALOG_READ_ONLY_FUNCTIONS, ...READ_ONLY_BEYOND_CATALOG])

/**
 * Whether calling `name` provably changes nothing. `name` is the function's name as the parser
 * gives it (lower-cased unless quoted), qualified or not; `pg_catalog.` is the same as no schema.
 *
 * @example isReadOnlyFunction('pg_catalog.lower') // true
 * @example isReadOnlyFunction('myschema.lower')   // false: someone's own function
 */
export function isReadOnlyFunction(name: string): boolean {
  return READ_ONLY_FUNCTIONS.has(name.startsWith(PG_CATALOG) ? name.slice(PG_CATALOG.length) : name)
}

const PG_CATALOG = 'pg_catalog.'
