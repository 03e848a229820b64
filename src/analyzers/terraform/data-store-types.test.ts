import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DATA_STORE_TYPES, isDataStoreType } from './data-store-types.js'
import { analyzeChanges, analyzeFixture } from './test-plans.js'

describe('data store type table', () => {
  // [type, holds data that destroying it loses]
  const CASES: ReadonlyArray<readonly [string, boolean]> = [
    ['aws_db_instance', true],
    ['aws_rds_cluster', true],
    ['aws_dynamodb_table', true],
    ['aws_s3_bucket', true],
    ['aws_ebs_volume', true],
    ['aws_efs_file_system', true],
    ['aws_fsx_lustre_file_system', true],
    ['aws_elasticache_replication_group', true],
    ['aws_redshift_cluster', true],
    ['aws_sqs_queue', true],
    ['aws_kinesis_stream', true],
    ['aws_db_snapshot', true],
    ['aws_ebs_snapshot', true],
    ['aws_fsx_backup', true],
    ['aws_kms_key', true],
    ['google_sql_database_instance', true],
    ['google_storage_bucket', true],
    ['google_bigquery_dataset', true],
    ['google_bigquery_table', true],
    ['google_compute_disk', true],
    ['google_compute_snapshot', true],
    ['google_healthcare_fhir_store', true],
    ['google_logging_project_bucket_config', true],
    ['azurerm_mssql_database', true],
    ['azurerm_storage_account', true],
    ['azurerm_postgresql_flexible_server', true],
    ['azurerm_postgresql_server', true],
    ['azurerm_cosmosdb_sql_database', true],
    ['azurerm_managed_disk', true],
    ['azurerm_snapshot', true],
    ['kubernetes_persistent_volume_claim_v1', true],
    ['aws_instance', false],
    ['aws_elasticache_parameter_group', false],
    ['aws_db_parameter_group', false],
    ['aws_s3_bucket_policy', false],
    ['aws_security_group', false],
    ['google_compute_instance', false],
    ['google_compute_snapshot_settings', false],
    ['google_sql_user', false],
    ['azurerm_postgresql_flexible_server_firewall_rule', false],
    ['azurerm_resource_group', false],
  ]
  for (const [type, expected] of CASES) {
    it(`${expected ? 'counts' : 'does not count'} ${type} as a data store`, () => {
      assert.equal(isDataStoreType(type), expected)
    })
  }

  it('holds only lower-case type names and patterns', () => {
    for (const entry of DATA_STORE_TYPES) assert.match(entry, /^[a-z*][a-z0-9_*]*$/, entry)
  })
})

describe('terraform data_stores', () => {
  const { facts, highlights } = analyzeFixture('data-stores')

  it('lists data stores destroyed or replaced, in either order and in modules', () => {
    assert.deepEqual(facts.data_stores, [
      'aws_db_instance.main',
      'module.analytics.google_sql_database_instance.main',
      'azurerm_storage_account.logs',
      'aws_ebs_volume.data',
      'aws_s3_bucket.assets["eu"]',
    ])
  })

  it('leaves out other resources destroyed, data stores created, and data sources', () => {
    for (const address of ['aws_instance.old_batch', 'aws_dynamodb_table.sessions', 'data.aws_db_instance.replica']) {
      assert.ok(!facts.data_stores.includes(address), address)
    }
  })

  it('highlights data stores first, with what forces each replacement', () => {
    assert.deepEqual(highlights, [
      'destroys aws_db_instance.main (data store)',
      'replaces module.analytics.google_sql_database_instance.main (data store; database_version forces replacement)',
      'destroys azurerm_storage_account.logs (data store)',
      'replaces aws_ebs_volume.data (data store; availability_zone forces replacement)',
      'destroys aws_s3_bucket.assets["eu"] (data store)',
      'destroys aws_instance.old_batch',
    ])
  })

  it('does not list a data store only forgotten, or replaced while the old one is kept', () => {
    const { facts: kept } = analyzeChanges({ type: 'aws_db_instance', actions: ['forget'] }, { type: 'aws_rds_cluster', actions: ['create', 'forget'] })
    assert.deepEqual(kept.data_stores, [])
  })

  it('counts the rest of many destroyed data stores', () => {
    const many = Array.from({ length: 8 }, (_, index) => ({ type: 'aws_s3_bucket', name: `b${index}`, actions: ['delete'] as const }))
    const { highlights: lines } = analyzeChanges(...many)
    assert.equal(lines.length, 6)
    assert.equal(lines[5], 'destroys or replaces 3 more data stores')
  })
})
