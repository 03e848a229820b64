import type { TargetConfig } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import type { Connector, ExecutionRequest, ExecutionResult } from './connector.js'
import type { ConnectorType } from './connector-type.js'
import { NO_GATEWAY_SECRETS, type GatewaySecrets } from './gateway-secrets.js'
import { http } from './http.js'
import { mcp } from './mcp.js'
import { mysql } from './mysql.js'
import { parseOptions } from './options.js'
import { pglite } from './pglite.js'
import { postgres } from './postgres.js'
import { Redactor } from './redact.js'
import { shell } from './shell.js'
import { ssh } from './ssh.js'
import { terraform } from './terraform.js'

const TYPES: readonly ConnectorType[] = [postgres, mysql, pglite, shell, ssh, http, mcp, terraform]

/** The connector types a target can name in `connector.type`. */
export const CONNECTOR_TYPES: readonly string[] = TYPES.map((type) => type.type)

/**
 * Builds the connector of a target from its options (checked here; secrets are read only when it
 * runs an action, and nothing connects before). Throws `INVALID` naming the target and the option.
 * Its results are masked for every secret the gateway holds (`gateway`), not only its own: a
 * command or a response that printed another target's password or the audit key shows `***`.
 *
 * @example
 * const connector = createConnector(directory.target('prod-db')!)
 * const result = await connector.execute({ actionId, action, target, facts, signal })
 */
export function createConnector(target: TargetConfig, gateway: GatewaySecrets = NO_GATEWAY_SECRETS): Connector {
  if (!target.connector) throw new CountersignError('INVALID', `target ${target.name} has no connector: its agents execute its actions themselves`)
  const type = TYPES.find((candidate) => candidate.type === target.connector!.type)
  if (!type) throw new CountersignError('INVALID', `target ${target.name}: connector type "${target.connector.type}" is unknown; expected one of ${CONNECTOR_TYPES.join(', ')}`)
  if (type.kind !== target.kind) {
    const fitting = TYPES.filter((candidate) => candidate.kind === target.kind).map((candidate) => candidate.type)
    throw new CountersignError(
      'INVALID',
      `target ${target.name}: a ${type.type} connector runs ${type.kind} actions, but the target is of kind ${target.kind}${fitting.length > 0 ? ` (its connectors: ${fitting.join(', ')})` : ' (no connector runs them yet)'}`,
    )
  }
  const connector = type.create(target, parseOptions(target, type.schema), gateway)
  // Wrapped on the instance itself, so that what tells connector types apart (instanceof) still does.
  const execute = connector.execute.bind(connector)
  return Object.assign(connector, {
    async execute(request: ExecutionRequest): Promise<ExecutionResult> {
      const result = await execute(request)
      const values = gateway.values()
      return values.length === 0 ? result : new Redactor(values).result(result)
    },
  })
}

/**
 * Every problem with a target's connector and its options, without reading a secret or
 * connecting: what `serve` reports before it starts. Empty when the connector can be built (or
 * the target has none).
 */
export function connectorProblems(target: TargetConfig): string[] {
  if (!target.connector) return []
  try {
    // Building opens nothing: closing it is only for form.
    void createConnector(target).close()
    return []
  } catch (error) {
    if (!(error instanceof CountersignError)) throw error
    return error.details.length > 0 ? error.details.map((detail) => detail.message) : [error.message]
  }
}
