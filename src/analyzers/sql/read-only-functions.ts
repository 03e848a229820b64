/**
 * Built-in PostgreSQL functions known to change nothing and reach nothing outside the database.
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
const READ_ONLY_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates and window functions
  'count', 'sum', 'avg', 'min', 'max', 'array_agg', 'string_agg', 'bool_and', 'bool_or', 'every',
  'bit_and', 'bit_or', 'bit_xor', 'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg',
  'json_agg_strict', 'jsonb_agg_strict', 'json_object_agg_strict', 'jsonb_object_agg_strict',
  'json_object_agg_unique', 'jsonb_object_agg_unique', 'json_object_agg_unique_strict',
  'jsonb_object_agg_unique_strict', 'xmlagg', 'range_agg', 'range_intersect_agg', 'any_value',
  'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp', 'corr', 'covar_pop',
  'covar_samp', 'regr_avgx', 'regr_avgy', 'regr_count', 'regr_intercept', 'regr_r2', 'regr_slope',
  'regr_sxx', 'regr_sxy', 'regr_syy', 'percentile_cont', 'percentile_disc', 'mode', 'grouping',
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead',
  'first_value', 'last_value', 'nth_value',
  // conditionals and comparison (most are syntax, listed in case they arrive as calls)
  'coalesce', 'nullif', 'greatest', 'least', 'num_nulls', 'num_nonnulls',
  // strings
  'length', 'char_length', 'character_length', 'octet_length', 'bit_length', 'lower', 'upper',
  'initcap', 'casefold', 'substr', 'substring', 'trim', 'btrim', 'ltrim', 'rtrim', 'lpad', 'rpad',
  'replace', 'translate', 'position', 'strpos', 'split_part', 'concat', 'concat_ws', 'left', 'right',
  'repeat', 'reverse', 'ascii', 'chr', 'format', 'quote_ident', 'quote_literal', 'quote_nullable',
  'regexp_match', 'regexp_matches', 'regexp_replace', 'regexp_split_to_array',
  'regexp_split_to_table', 'regexp_count', 'regexp_instr', 'regexp_like', 'regexp_substr',
  'similar_to_escape', 'similar_escape', 'starts_with', 'string_to_array', 'string_to_table',
  'array_to_string', 'overlay', 'normalize', 'is_normalized', 'unistr', 'to_ascii', 'to_hex',
  'to_bin', 'to_oct', 'md5', 'sha224', 'sha256', 'sha384', 'sha512', 'crc32', 'crc32c', 'encode',
  'decode', 'convert', 'convert_from', 'convert_to', 'bit_count', 'get_bit', 'get_byte', 'set_bit',
  'set_byte', 'text', 'textlen', 'char', 'varchar', 'bpchar', 'name', 'pg_collation_for',
  'like_escape', 'ilike_escape', 'textcat', 'texteq',
  // numbers
  'abs', 'ceil', 'ceiling', 'floor', 'round', 'trunc', 'sqrt', 'cbrt', 'exp', 'ln', 'log', 'log10',
  'power', 'pow', 'mod', 'sign', 'div', 'pi', 'degrees', 'radians', 'sin', 'cos', 'tan', 'cot',
  'asin', 'acos', 'atan', 'atan2', 'sind', 'cosd', 'tand', 'cotd', 'asind', 'acosd', 'atand',
  'atan2d', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'gcd', 'lcm', 'factorial',
  'width_bucket', 'scale', 'min_scale', 'trim_scale', 'erf', 'erfc', 'gamma', 'lgamma', 'random',
  'random_normal', 'numeric', 'int2', 'int4', 'int8', 'float4', 'float8', 'bool', 'money',
  // dates and times
  'now', 'current_timestamp', 'current_date', 'current_time', 'localtime', 'localtimestamp',
  'clock_timestamp', 'statement_timestamp', 'transaction_timestamp', 'timeofday', 'date_trunc',
  'date_part', 'date_bin', 'extract', 'age', 'to_char', 'to_date', 'to_timestamp', 'to_number',
  'make_date', 'make_time', 'make_timestamp', 'make_timestamptz', 'make_interval', 'justify_days',
  'justify_hours', 'justify_interval', 'isfinite', 'timezone', 'overlaps', 'date_add',
  'date_subtract', 'date', 'time', 'timestamp', 'timestamptz', 'interval',
  // sets and arrays
  'generate_series', 'generate_subscripts', 'unnest', 'array_length', 'array_upper', 'array_lower',
  'array_dims', 'array_ndims', 'cardinality', 'array_append', 'array_prepend', 'array_cat',
  'array_position', 'array_positions', 'array_remove', 'array_replace', 'array_fill',
  'array_sample', 'array_shuffle', 'array_reverse', 'array_sort', 'trim_array',
  // ranges
  'isempty', 'lower_inc', 'upper_inc', 'lower_inf', 'upper_inf', 'range_merge', 'multirange',
  'int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange', 'int4multirange',
  'int8multirange', 'nummultirange', 'tsmultirange', 'tstzmultirange', 'datemultirange',
  // json and jsonb (all return new values; none writes)
  'to_json', 'to_jsonb', 'array_to_json', 'row_to_json', 'json_build_array', 'jsonb_build_array',
  'json_build_object', 'jsonb_build_object', 'json_object', 'jsonb_object', 'json_array_length',
  'jsonb_array_length', 'json_each', 'jsonb_each', 'json_each_text', 'jsonb_each_text',
  'json_extract_path', 'jsonb_extract_path', 'json_extract_path_text', 'jsonb_extract_path_text',
  'json_object_keys', 'jsonb_object_keys', 'json_to_record', 'jsonb_to_record', 'json_to_recordset', 'jsonb_to_recordset',
  'json_array_elements', 'jsonb_array_elements', 'json_array_elements_text',
  'jsonb_array_elements_text', 'json_typeof', 'jsonb_typeof', 'json_strip_nulls',
  'jsonb_strip_nulls', 'jsonb_set', 'jsonb_set_lax', 'jsonb_insert', 'jsonb_pretty',
  'jsonb_path_exists', 'jsonb_path_match', 'jsonb_path_query', 'jsonb_path_query_array',
  'jsonb_path_query_first', 'jsonb_path_exists_tz', 'jsonb_path_match_tz', 'jsonb_path_query_tz',
  'jsonb_path_query_array_tz', 'jsonb_path_query_first_tz', 'json_scalar', 'json_serialize',
  'to_tsvector', 'json_to_tsvector', 'jsonb_to_tsvector',
  // text search (ts_stat and ts_rewrite with a query text are left out: they run SQL)
  'to_tsquery', 'plainto_tsquery', 'phraseto_tsquery', 'websearch_to_tsquery', 'ts_rank',
  'ts_rank_cd', 'ts_headline', 'setweight', 'strip', 'numnode', 'querytree', 'tsvector_to_array',
  'array_to_tsvector', 'ts_delete', 'ts_filter', 'get_current_ts_config', 'ts_lexize', 'ts_parse',
  'ts_token_type', 'ts_debug', 'tsquery_phrase',
  // xml (xpath on a value; the *_to_xml functions that run queries are left out)
  'xpath', 'xpath_exists', 'xml_is_well_formed', 'xml_is_well_formed_document',
  'xml_is_well_formed_content', 'xmlcomment', 'xmltext', 'xmlconcat', 'xmlexists',
  // network addresses, uuids, geometry
  'host', 'hostmask', 'masklen', 'netmask', 'network', 'broadcast', 'family', 'abbrev',
  'set_masklen', 'inet_same_family', 'inet_merge', 'macaddr8_set7bit',
  'gen_random_uuid', 'uuidv4', 'uuidv7', 'uuid_extract_timestamp', 'uuid_extract_version',
  'area', 'center', 'diameter', 'height', 'width', 'radius', 'npoints', 'isclosed', 'isopen',
  'point', 'box', 'circle', 'line', 'lseg', 'path', 'polygon', 'pclose', 'popen', 'bound_box',
  // session and server information
  'version', 'current_database', 'current_catalog', 'current_schema', 'current_schemas',
  'current_user', 'current_role', 'session_user', 'system_user', 'user', 'current_setting',
  'current_query', 'inet_client_addr', 'inet_client_port', 'inet_server_addr', 'inet_server_port',
  'pg_backend_pid', 'pg_postmaster_start_time', 'pg_conf_load_time', 'pg_is_in_recovery',
  'pg_is_wal_replay_paused', 'pg_get_wal_replay_pause_state', 'pg_current_wal_lsn',
  'pg_current_wal_insert_lsn', 'pg_current_wal_flush_lsn', 'pg_last_wal_receive_lsn',
  'pg_last_wal_replay_lsn', 'pg_last_xact_replay_timestamp', 'pg_wal_lsn_diff', 'pg_walfile_name',
  'pg_blocking_pids', 'pg_safe_snapshot_blocking_pids', 'pg_trigger_depth', 'pg_jit_available',
  'pg_listening_channels', 'pg_notification_queue_usage', 'pg_my_temp_schema',
  'pg_is_other_temp_schema', 'pg_client_encoding', 'pg_encoding_to_char', 'pg_char_to_encoding',
  'pg_current_snapshot', 'pg_snapshot_xmin', 'pg_snapshot_xmax', 'pg_snapshot_xip',
  'pg_visible_in_snapshot', 'pg_current_xact_id_if_assigned', 'pg_xact_status',
  'txid_current_if_assigned', 'txid_current_snapshot', 'txid_status', 'currval', 'lastval',
  'pg_sequence_last_value', 'pg_control_checkpoint', 'pg_control_system', 'pg_control_init',
  'pg_control_recovery', 'pg_available_extensions', 'pg_available_extension_versions',
  'pg_lock_status', 'pg_show_all_settings', 'pg_settings_get_flags', 'pg_get_keywords',
  'pg_stat_get_activity', 'pg_stat_get_backend_pid', 'pg_stat_get_backend_activity',
  'pg_stat_get_numscans', 'pg_stat_get_live_tuples', 'pg_stat_get_dead_tuples',
  'pg_stat_get_db_numbackends', 'pg_stat_get_wal', 'pg_stat_get_io',
  'pg_tablespace_location', 'pg_tablespace_databases',
  // catalog introspection and object sizes
  'pg_size_pretty', 'pg_size_bytes', 'pg_relation_size', 'pg_total_relation_size',
  'pg_table_size', 'pg_indexes_size', 'pg_database_size', 'pg_tablespace_size', 'pg_column_size',
  'pg_column_compression', 'pg_column_toast_chunk_id', 'pg_relation_filenode',
  'pg_relation_filepath', 'pg_filenode_relation', 'pg_partition_tree', 'pg_partition_ancestors',
  'pg_partition_root', 'pg_typeof', 'format_type', 'to_regclass', 'to_regcollation',
  'to_regnamespace', 'to_regoper', 'to_regoperator', 'to_regproc', 'to_regprocedure', 'to_regrole',
  'to_regtype', 'to_regtypemod', 'pg_get_viewdef',
  'pg_get_functiondef', 'pg_get_function_arguments', 'pg_get_function_identity_arguments',
  'pg_get_function_result', 'pg_get_function_sqlbody', 'pg_get_indexdef', 'pg_get_constraintdef',
  'pg_get_triggerdef', 'pg_get_ruledef', 'pg_get_expr', 'pg_get_statisticsobjdef',
  'pg_get_partkeydef', 'pg_get_partition_constraintdef', 'pg_get_userbyid',
  'pg_get_serial_sequence', 'pg_get_object_address', 'pg_get_catalog_foreign_keys',
  'pg_describe_object', 'pg_identify_object', 'pg_identify_object_as_address', 'pg_options_to_table',
  'pg_index_column_has_property', 'pg_index_has_property', 'pg_indexam_has_property',
  'pg_table_is_visible', 'pg_type_is_visible', 'pg_function_is_visible', 'pg_operator_is_visible',
  'pg_opclass_is_visible', 'pg_opfamily_is_visible', 'pg_collation_is_visible',
  'pg_conversion_is_visible', 'pg_statistics_obj_is_visible', 'pg_ts_config_is_visible',
  'pg_ts_dict_is_visible', 'pg_ts_parser_is_visible', 'pg_ts_template_is_visible',
  'obj_description', 'col_description', 'shobj_description', 'pg_has_role',
  'has_table_privilege', 'has_column_privilege', 'has_any_column_privilege',
  'has_database_privilege', 'has_foreign_data_wrapper_privilege', 'has_function_privilege',
  'has_language_privilege', 'has_largeobject_privilege', 'has_parameter_privilege',
  'has_schema_privilege', 'has_sequence_privilege', 'has_server_privilege',
  'has_tablespace_privilege', 'has_type_privilege', 'row_security_active', 'acldefault',
  'aclexplode', 'makeaclitem', 'pg_get_acl', 'pg_basetype', 'pg_char_max_length',
])

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
