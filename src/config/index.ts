export type {
  AgentConfig,
  AuditConfig,
  ChannelsConfig,
  ConsoleConfig,
  EmailConfig,
  OnCallConfig,
  ExecutionConfig,
  McpConfig,
  Config,
  ConnectorConfig,
  HumanConfig,
  IdentitiesConfig,
  OidcConfig,
  ServerConfig,
  PostgresListenerConfig,
  SlackConfig,
  StoreConfig,
  TargetConfig,
  TelemetryConfig,
  TeamsConfig,
  WebhookConfig,
  WorkloadAgentRule,
  WorkloadIssuerConfig,
} from './config-types.js'
export { directoryOf } from './directory.js'
export type { Directory, KnownHuman, TokenSubject } from './directory.js'
export { configFromObject, loadConfig, parseConfig } from './load-config.js'
export type { ConfigOptions } from './load-config.js'
export { EMPTY_POLICY_CONTEXT, readPolicyContext } from './policy-context.js'
export type { PolicyContext } from './policy-context.js'
export { parseSecretRef, resolveSecret } from './secret-ref.js'
export { urlOfListen } from './config-values.js'
export type { SecretRef } from './secret-ref.js'
