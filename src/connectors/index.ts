/**
 * Brokered execution (ARCHITECTURE.md): one connector per target runs its stored, approved actions
 * with credentials read from secret references when they are used, and returns a bounded,
 * redacted result. Types: `postgres`, `mysql`, `pglite` (sql), `shell`, `ssh` (shell), `http` (http), `mcp` (mcp), `terraform` (terraform).
 */
export { EXECUTION_STATUSES } from './connector.js'
export type { Connector, ExecutionRequest, ExecutionResult, ExecutionStatus } from './connector.js'
export { identityText, traceIdOf } from './execution-context.js'
export type { ExecutionApprover, ExecutionContext } from './execution-context.js'
export { ConnectorSet } from './connector-set.js'
export { gatewaySecretsOf, NO_GATEWAY_SECRETS } from './gateway-secrets.js'
export type { GatewaySecrets } from './gateway-secrets.js'
export { CONNECTOR_TYPES, connectorProblems, createConnector } from './registry.js'
export { toolSourceOf } from './mcp.js'
export type { McpToolSource, UpstreamTool } from './mcp.js'
