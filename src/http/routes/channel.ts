import type { Context } from 'hono'
import type { AppEnv } from '../env.js'

/**
 * The channel a request came through, for the audit log. A middleware that authenticates another
 * way (the console's session) sets it; the CLI says so in a header. It only labels the event:
 * who acted is always the authenticated principal.
 */
export function channelOf(c: Context<AppEnv>): string {
  return c.get('channel') ?? (c.req.header('x-countersign-client') === 'cli' ? 'cli' : 'api')
}
