import type { z } from 'zod'
import type { ActionKind } from '../action/index.js'
import type { TargetConfig } from '../config/index.js'
import type { Connector } from './connector.js'
import type { GatewaySecrets } from './gateway-secrets.js'

/**
 * One kind of connector: the action kind it runs, the schema of its options, and how it is built
 * from valid options. Building never reads a secret nor connects (that happens on first use), so
 * `serve` can build every connector at start to check its options.
 */
export interface ConnectorType<Schema extends z.ZodType = z.ZodType> {
  readonly type: string
  readonly kind: ActionKind
  readonly schema: Schema
  /**
   * Throws `INVALID` for a problem options alone cannot show (e.g. a user that does not exist).
   * `gateway`: what the gateway holds, for connectors that must keep it from what they run.
   */
  create(target: TargetConfig, options: z.output<Schema>, gateway: GatewaySecrets): Connector
}

/** Declares a connector type (keeps the options' type tied to its schema). */
export function connectorType<Schema extends z.ZodType>(definition: ConnectorType<Schema>): ConnectorType<Schema> {
  return definition
}
