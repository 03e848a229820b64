import type { TargetConfig } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import type { Connector } from './connector.js'
import { NO_GATEWAY_SECRETS, type GatewaySecrets } from './gateway-secrets.js'
import { createConnector } from './registry.js'

/**
 * The connectors of a gateway: each built on first use and kept per target name (pools and their
 * connections are reused), all closed together at shutdown.
 *
 * @example
 * const connectors = new ConnectorSet(gatewaySecretsOf(config))
 * await connectors.get(target).execute(request)
 * await connectors.close()
 */
export class ConnectorSet {
  readonly #connectors = new Map<string, Connector>()
  readonly #gateway: GatewaySecrets
  #closed = false

  /** `gateway`: the secrets the gateway holds, hidden from commands and masked in every result. */
  constructor(gateway: GatewaySecrets = NO_GATEWAY_SECRETS) {
    this.#gateway = gateway
  }

  /** The connector of `target`; throws `INVALID` when its options are wrong (nothing is cached then). */
  get(target: TargetConfig): Connector {
    if (this.#closed) throw new CountersignError('INTERNAL', 'the connectors are closed: the gateway is shutting down')
    let connector = this.#connectors.get(target.name)
    if (!connector) {
      connector = createConnector(target, this.#gateway)
      this.#connectors.set(target.name, connector)
    }
    return connector
  }

  /** Closes every connector built (pools, sessions, running commands); later `get`s throw. */
  async close(): Promise<void> {
    this.#closed = true
    const connectors = [...this.#connectors.values()]
    this.#connectors.clear()
    await Promise.allSettled(connectors.map((connector) => connector.close()))
  }
}
