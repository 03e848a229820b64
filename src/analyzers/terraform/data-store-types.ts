import { typeMatcher } from './type-patterns.js'

// Resource types that hold data which is gone when the object is destroyed: databases, buckets
// and objects, disks and volumes, file systems, caches, queues and streams with messages in them,
// snapshots and backups, and the keys and secrets without which encrypted data or credentials
// are lost. Destroying or replacing one is listed in `terraform.data_stores`. Names are the
// providers' own; `*` stands for any run of characters (see type-patterns.ts). Lean towards
// listing: a needless review is cheaper than a lost database.

/** Any provider: `*_snapshot` and `*_backup` name copies of data (db, ebs, compute, netapp, filestore, alloydb…). */
const ANY = ['*_snapshot', '*_backup'] as const

/** AWS (hashicorp/aws). */
const AWS = [
  // Relational and document databases.
  'aws_db_instance',
  'aws_rds_cluster',
  'aws_rds_cluster_instance', // the last instance of a cluster holds its only copy online
  'aws_rds_global_cluster',
  'aws_docdb_cluster',
  'aws_docdb_cluster_instance',
  'aws_docdb_global_cluster',
  'aws_docdbelastic_cluster',
  'aws_neptune_cluster',
  'aws_neptune_cluster_instance',
  'aws_neptune_global_cluster',
  'aws_dsql_cluster',
  'aws_redshift_cluster',
  'aws_redshiftserverless_namespace',
  'aws_lightsail_database',
  // Key-value, wide-column, time-series and ledger stores.
  'aws_dynamodb_table',
  'aws_dynamodb_global_table',
  'aws_dynamodb_table_replica',
  'aws_dynamodb_table_item',
  'aws_keyspaces_keyspace',
  'aws_keyspaces_table',
  'aws_timestreamwrite_database',
  'aws_timestreamwrite_table',
  'aws_qldb_ledger',
  'aws_opensearch_domain',
  'aws_elasticsearch_domain',
  'aws_opensearchserverless_collection',
  // Caches.
  'aws_elasticache_cluster',
  'aws_elasticache_replication_group',
  'aws_elasticache_global_replication_group',
  'aws_elasticache_serverless_cache',
  'aws_memorydb_cluster',
  'aws_dax_cluster',
  // Object storage.
  'aws_s3_bucket',
  'aws_s3_directory_bucket',
  'aws_s3_object',
  'aws_s3_bucket_object', // provider v3 name of aws_s3_object
  'aws_s3control_bucket',
  'aws_s3tables_table_bucket',
  'aws_s3tables_table',
  'aws_s3vectors_vector_bucket',
  'aws_s3vectors_index',
  'aws_glacier_vault',
  'aws_lightsail_bucket',
  // Block and file storage.
  'aws_ebs_volume',
  'aws_ebs_snapshot_copy',
  'aws_ebs_snapshot_import',
  'aws_efs_file_system',
  'aws_fsx_*_file_system', // lustre, windows, ontap, openzfs
  'aws_fsx_*_volume', // ontap, openzfs
  'aws_lightsail_disk',
  // Queues and streams that hold messages.
  'aws_sqs_queue',
  'aws_kinesis_stream',
  'aws_msk_cluster',
  'aws_msk_serverless_cluster',
  'aws_mq_broker',
  // Backups, logs, images, code, keys and secrets.
  'aws_backup_vault',
  'aws_cloudwatch_log_group',
  'aws_ecr_repository',
  'aws_codecommit_repository',
  'aws_kms_key', // data encrypted under it becomes unreadable once the deletion window ends
  'aws_secretsmanager_secret',
] as const

/** Google Cloud (hashicorp/google and google-beta). */
const GOOGLE = [
  'google_sql_database_instance',
  'google_sql_database',
  'google_alloydb_cluster',
  'google_alloydb_instance',
  'google_spanner_instance',
  'google_spanner_database',
  'google_bigtable_instance',
  'google_bigtable_table',
  'google_bigquery_dataset',
  'google_bigquery_table',
  'google_biglake_database',
  'google_biglake_table',
  'google_firestore_database',
  'google_firestore_document',
  'google_firebase_database_instance',
  'google_redis_instance',
  'google_redis_cluster',
  'google_memcache_instance',
  'google_memorystore_instance',
  'google_storage_bucket',
  'google_storage_bucket_object',
  'google_compute_disk',
  'google_compute_region_disk',
  'google_filestore_instance',
  'google_netapp_volume',
  'google_parallelstore_instance',
  'google_lustre_instance',
  'google_pubsub_topic',
  'google_pubsub_subscription',
  'google_managed_kafka_cluster',
  'google_managed_kafka_topic',
  'google_healthcare_dataset',
  'google_healthcare_*_store', // fhir, dicom, hl7_v2, consent
  'google_logging_*_bucket_config', // log buckets of a project, folder, organization or billing account
  'google_backup_dr_backup_vault',
  'google_netapp_backup_vault',
  'google_artifact_registry_repository',
  'google_sourcerepo_repository',
  'google_secure_source_manager_repository',
  'google_kms_crypto_key', // destroys every key version
  'google_secret_manager_secret',
  'google_secret_manager_regional_secret',
] as const

/** Azure (hashicorp/azurerm); retired v3 names kept, since plans from older configurations still use them. */
const AZURE = [
  'azurerm_mssql_server',
  'azurerm_mssql_database',
  'azurerm_mssql_managed_instance',
  'azurerm_mssql_managed_database',
  'azurerm_sql_server',
  'azurerm_sql_database',
  'azurerm_postgresql_server',
  'azurerm_postgresql_database',
  'azurerm_postgresql_flexible_server',
  'azurerm_postgresql_flexible_server_database',
  'azurerm_mysql_server',
  'azurerm_mysql_database',
  'azurerm_mysql_flexible_server',
  'azurerm_mysql_flexible_database',
  'azurerm_mariadb_server',
  'azurerm_mariadb_database',
  'azurerm_cosmosdb_account',
  'azurerm_cosmosdb_*_database', // sql, mongo, gremlin
  'azurerm_cosmosdb_sql_container',
  'azurerm_cosmosdb_mongo_collection',
  'azurerm_cosmosdb_gremlin_graph',
  'azurerm_cosmosdb_cassandra_keyspace',
  'azurerm_cosmosdb_cassandra_table',
  'azurerm_cosmosdb_cassandra_cluster',
  'azurerm_cosmosdb_table',
  'azurerm_cosmosdb_postgresql_cluster',
  'azurerm_oracle_autonomous_database',
  'azurerm_synapse_workspace',
  'azurerm_synapse_sql_pool',
  'azurerm_kusto_cluster',
  'azurerm_kusto_database',
  'azurerm_redis_cache',
  'azurerm_redis_enterprise_cluster',
  'azurerm_managed_redis',
  'azurerm_storage_account',
  'azurerm_storage_container',
  'azurerm_storage_blob',
  'azurerm_storage_share',
  'azurerm_storage_share_file',
  'azurerm_storage_table',
  'azurerm_storage_table_entity',
  'azurerm_storage_queue',
  'azurerm_storage_data_lake_gen2_filesystem',
  'azurerm_storage_data_lake_gen2_path',
  'azurerm_managed_disk',
  'azurerm_elastic_san',
  'azurerm_elastic_san_volume',
  'azurerm_managed_lustre_file_system',
  'azurerm_netapp_volume',
  'azurerm_servicebus_namespace',
  'azurerm_servicebus_queue',
  'azurerm_servicebus_topic',
  'azurerm_servicebus_subscription',
  'azurerm_eventhub_namespace',
  'azurerm_eventhub',
  'azurerm_recovery_services_vault',
  'azurerm_data_protection_backup_vault',
  'azurerm_netapp_backup_vault',
  'azurerm_log_analytics_workspace',
  'azurerm_container_registry',
  'azurerm_key_vault',
  'azurerm_key_vault_key',
  'azurerm_key_vault_secret',
  'azurerm_key_vault_managed_hardware_security_module',
] as const

/** Kubernetes (hashicorp/kubernetes). */
const KUBERNETES = [
  'kubernetes_persistent_volume',
  'kubernetes_persistent_volume_v1',
  'kubernetes_persistent_volume_claim',
  'kubernetes_persistent_volume_claim_v1',
  'kubernetes_namespace', // deleting a namespace deletes everything in it, volume claims included
  'kubernetes_namespace_v1',
] as const

/** Every data store type name and pattern. Exported for the tests. */
export const DATA_STORE_TYPES: readonly string[] = [...ANY, ...AWS, ...GOOGLE, ...AZURE, ...KUBERNETES]

/**
 * Whether destroying a resource of this type loses data (see the tables above).
 *
 * @example
 * isDataStoreType('aws_db_instance') // true
 * isDataStoreType('aws_instance') // false
 */
export const isDataStoreType: (type: string) => boolean = typeMatcher(DATA_STORE_TYPES)
