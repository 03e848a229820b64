import type { Principal } from '../lifecycle/index.js'

/** What the HTTP layer keeps per request. */
export interface AppEnv {
  Variables: {
    principal: Principal
  }
}
