import type { Principal } from '../lifecycle/index.js'

/** What the HTTP layer keeps per request. */
export interface AppEnv {
  Variables: {
    principal: Principal
    /** Set by an authentication that implies a channel (the console's session); see `channelOf`. */
    channel?: string
  }
}
