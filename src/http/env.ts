import type { Principal } from '../lifecycle/index.js'
import type { ClientInfo } from './client-address.js'

/** What the HTTP layer keeps per request. */
export interface AppEnv {
  Variables: {
    principal: Principal
    /** Who sent the request: its address, after `server.trust_proxy` (see `clientAddress`). */
    client: ClientInfo
    /** Set by an authentication that implies a channel (the console's session); see `channelOf`. */
    channel?: string
  }
}
