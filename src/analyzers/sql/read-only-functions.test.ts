import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { GENERATED_PATH, generateReadOnlyFunctionsSource, isDeniedFunction } from '../../../scripts/generate-read-only-functions.js'
import type { Analyzer } from '../analyzer.js'
import { loadSqlAnalyzer, type SqlFacts } from './index.js'
import { isReadOnlyFunction, READ_ONLY_BEYOND_CATALOG } from './read-only-functions.js'

let sql: Analyzer<SqlFacts>
before(async () => {
  sql = await loadSqlAnalyzer()
})

describe('the read-only function list generated from the catalog', () => {
  it('matches what scripts/generate-read-only-functions.ts makes from the PGlite we ship', async () => {
    const committed = readFileSync(fileURLToPath(new URL(`../../../${GENERATED_PATH}`, import.meta.url)), 'utf8')
    const fresh = await generateReadOnlyFunctionsSource()
    assert.ok(committed === fresh, `${GENERATED_PATH} is out of date: run \`node --import tsx scripts/generate-read-only-functions.ts\` and review the diff`)
  })

  it('keeps every name added by hand off the deny-list', () => {
    assert.deepEqual(READ_ONLY_BEYOND_CATALOG.filter(isDeniedFunction), [])
  })

  it('allows common immutable and stable built-ins that were missing', () => {
    for (const name of ['parse_ident', 'enum_range', 'getdatabaseencoding', 'jsonb_contains', 'pg_lsn', 'regclass', 'pg_catalog.parse_ident']) {
      assert.equal(isReadOnlyFunction(name), true, name)
    }
    const facts = sql.analyze({ sql: "SELECT parse_ident('a.b'), getdatabaseencoding(), pg_lsn('0/16'), jsonb_contains('{\"a\":1}', '{}'), regclass('pg_class')" }).facts
    assert.equal(facts.read_only, true)
  })

  it('leaves out stable or immutable built-ins that act, run given SQL or run a domain CHECK', () => {
    const denied = [
      'txid_current', 'pg_current_xact_id', // assign a transaction id
      'ts_rewrite', 'ts_stat', 'query_to_xml', 'table_to_xml', 'schema_to_xml', 'database_to_xml', 'cursor_to_xml', // run SQL
      'json_populate_record', 'jsonb_populate_recordset', 'jsonb_populate_record_valid', 'pg_input_is_valid', 'pg_input_error_info',
      'record_in', 'array_in', 'domain_in', 'range_in', 'array_recv', // input functions: run a domain's CHECK
      'fmgr_c_validator', 'plpgsql_validator', 'pg_event_trigger_ddl_commands', // load libraries, compile bodies
      'pg_advisory_lock', 'pg_notify', 'lo_get', 'pg_read_file', 'pg_ls_dir', 'set_config', 'pg_sleep', 'nextval', 'setval', 'setseed',
      'pg_stat_reset', 'pg_terminate_backend', 'pg_switch_wal', 'pg_create_restore_point', 'pg_logical_emit_message',
      'myschema.lower',
    ]
    assert.deepEqual(denied.filter(isReadOnlyFunction), [])
    for (const text of ['SELECT txid_current()', "SELECT array_in('{4}', 'pg_catalog.int4'::regtype, -1)", "SELECT ts_rewrite('a'::tsquery, 'SELECT 1')"]) {
      assert.equal(sql.analyze({ sql: text }).facts.read_only, false, text)
    }
  })
})
