import type { TargetConfig } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import type { Connector } from './connector.js'
import { createConnector } from './registry.js'

/**
 * The connectors of a gateway: each built on first use and kept per target name (pools and their
 * connections are reused), all closed together at shutdown.
 *
 * @example
 * const connectors = new ConnectorSet()
 * await connectors.get(target).execute(request)
 * await connectors.close()
 */
export class ConnectorSet {
  readonly #connectors = new Map<string, Connector>()
  #closed = false

  /** The connector of `target`; throws `INVALID` when its options are wrong (nothing is cached then). */
  get(target: TargetConfig): Connector {
    if (this.#closed) throw new CountersignError('INTERNAL', 'the connectors are closed: the gateway is shutting down')
    let connector = this.#connectors.get(target.name)
    if (!connector) {
      connector = createConnector(target)
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
