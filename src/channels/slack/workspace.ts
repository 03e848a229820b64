import type { Middleware, AnyMiddlewareArgs } from '@slack/bolt'

/**
 * Whether an interaction payload comes from the configured workspace: its `team.id` is it, and so
 * is the clicking user's `team_id` when Slack gives one (a user of another organization in a
 * shared channel is not ours). Payloads without a team, e.g. an organization-wide install, are refused.
 */
export function isFromWorkspace(payload: unknown, teamId: string): boolean {
  if (!payload || typeof payload !== 'object') return false
  const { team, user } = payload as { team?: { id?: unknown } | null; user?: { team_id?: unknown } | null }
  if (team?.id !== teamId) return false
  return user?.team_id === undefined || user.team_id === teamId
}

/**
 * Bolt middleware refusing payloads from another workspace: acknowledged (so Slack does not
 * retry or show an error), then dropped. The HTTP receiver refuses them before Bolt; this covers
 * Socket Mode, where requests do not come through it.
 */
export function workspaceGuard(teamId: string, onRefused: (team: unknown) => void): Middleware<AnyMiddlewareArgs> {
  return async function workspaceGuard(args) {
    if (isFromWorkspace(args.body, teamId)) return args.next()
    onRefused((args.body as { team?: { id?: unknown } | null }).team?.id)
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)()
  }
}
