import { setTimeout as sleep } from 'node:timers/promises'
import { Option, type Command } from 'commander'
import { ACTION_KINDS } from '../action/index.js'
import { CountersignError } from '../errors/index.js'
import { renderActionTable, renderFeedLine } from './action-table.js'
import type { ActionPage, ActionView } from './api-types.js'
import { clientCommand, clientOf, gatewayOptions, terminalOf, type ClientFlags, type ClientIo, type Terminal } from './client-command.js'
import type { ApiClient } from './http-client.js'
import type { CliIo } from './io.js'
import { filterQuery, type ListFilter } from './list-command.js'

/** How `watch` follows the gateway. */
export interface WatchOptions {
  readonly filter?: ListFilter
  /** Stops the watch (SIGINT in the CLI); the returned promise then resolves. */
  readonly signal: AbortSignal
  /** A TTY gets a table redrawn in place; anything else one line per new or changed action. */
  readonly terminal: Terminal
  /** One JSON line per new or changed action instead of text. */
  readonly json?: boolean
  /** Time between two listings. */
  readonly intervalMs?: number
  /** Newest actions listed each time (the API's page size). */
  readonly limit?: number
}

const HOME_AND_CLEAR = '\x1b[H\x1b[2J'
const HOME = '\x1b[H'
const CLEAR_LINE_END = '\x1b[K'
const CLEAR_BELOW = '\x1b[J'

/**
 * Follows actions until `signal` aborts, re-listing them every `intervalMs`. In a terminal the
 * table is redrawn in place whenever it changes; otherwise (a pipe, a log file) each action is
 * printed once when first seen and again at each change of status, including actions that leave
 * the filter (e.g. a pending one that gets approved). A gateway that becomes unreachable is
 * retried; any other refusal (a bad token), or no answer to the first listing, ends the watch
 * with that error.
 *
 * @example
 * const controller = new AbortController()
 * process.once('SIGINT', () => controller.abort())
 * await watchActions(client, io, { filter: { status: 'pending' }, signal: controller.signal, terminal: { isTTY: false } })
 */
export async function watchActions(client: ApiClient, io: CliIo, options: WatchOptions): Promise<void> {
  const { signal, terminal } = options
  const query = { ...filterQuery(options.filter ?? {}), limit: options.limit ?? 50 }
  const table = terminal.isTTY && !options.json
  const seen = new Map<string, string>()
  let screen: string | undefined
  let connected = false
  let unreachable = false
  while (!signal.aborted) {
    try {
      const page = await client.request<ActionPage>('GET', '/v1/actions', { query, signal })
      connected = true
      unreachable = false
      if (table) {
        const next = renderScreen(page.actions, client.url, terminal)
        if (next !== screen) io.stdout(screen === undefined ? HOME_AND_CLEAR + next : HOME + next.replaceAll('\n', `${CLEAR_LINE_END}\n`) + CLEAR_BELOW)
        screen = next
      } else {
        for (const action of await changes(client, page.actions, seen, signal)) {
          io.stdout(options.json ? `${JSON.stringify(action)}\n` : renderFeedLine(action, new Date()))
        }
      }
    } catch (error) {
      if (signal.aborted) break
      // Unreachable from the start is a wrong URL or a stopped gateway: say so. Later, it is a restart: wait for it.
      if (!connected || !(error instanceof CountersignError) || error.code !== 'INTERNAL') throw error
      if (!unreachable) io.stderr(`countersign: ${error.message}; retrying every ${(options.intervalMs ?? 1000) / 1000}s\n`)
      unreachable = true
    }
    await sleep(options.intervalMs ?? 1000, undefined, { signal }).catch(() => undefined)
  }
}

/** Actions new or changed since the last listing, oldest first; those that left the listing are fetched to see why. */
async function changes(client: ApiClient, listed: readonly ActionView[], seen: Map<string, string>, signal: AbortSignal): Promise<ActionView[]> {
  const changed: ActionView[] = []
  const state = (action: ActionView) => `${action.status} ${action.updated_at}`
  for (const action of [...listed].reverse()) {
    if (seen.get(action.id) === state(action)) continue
    seen.set(action.id, state(action))
    changed.push(action)
  }
  const present = new Set(listed.map((action) => action.id))
  for (const [id, last] of seen) {
    if (present.has(id)) continue
    seen.delete(id)
    // Gone from the page: it changed status out of the filter, or newer actions pushed it off.
    const action = await client.request<ActionView>('GET', `/v1/actions/${id}`, { signal }).catch((error: unknown) => {
      if (signal.aborted) throw error
      return undefined
    })
    if (action && state(action) !== last) changed.push(action)
  }
  return changed
}

function renderScreen(actions: readonly ActionView[], url: string, terminal: Terminal): string {
  // Keep the table within the screen (title, blank line, column names, rows, the cursor's line):
  // a taller one would scroll and break the redraw in place.
  const shown = terminal.rows ? actions.slice(0, Math.max(1, terminal.rows - 4)) : actions
  const more = actions.length - shown.length
  const header = `countersign watch: ${url}${more > 0 ? ` (${more} more not shown)` : ''}  (Ctrl-C to stop)\n\n`
  return header + renderActionTable(shown, new Date(), terminal.columns)
}

interface WatchFlags extends ClientFlags, ListFilter {
  readonly interval?: string
}

/** `countersign watch`: a live feed of actions until Ctrl-C. */
export function watchCommand(io: ClientIo): Command {
  const command = clientCommand('watch', 'a live feed of actions: a table redrawn in place in a terminal, one line per change otherwise; Ctrl-C stops', io, ['countersign watch --status pending', 'countersign watch --target prod-db >> actions.log', 'countersign watch --json | jq -c "{id, status}"'])
    .option('--status <statuses>', 'only these statuses, comma-separated')
    .option('--target <name>', 'only actions on this target')
    .option('--agent <id>', 'only actions of this agent')
    .addOption(new Option('--kind <kind>', 'only actions of this kind').choices(ACTION_KINDS))
    .addOption(new Option('--interval <seconds>', 'seconds between two listings').default('1').hideHelp())
    .action(async (flags: WatchFlags) => {
      const seconds = Number(flags.interval)
      if (!(seconds >= 0.1)) throw new CountersignError('INVALID', `--interval: expected seconds (at least 0.1), got ${JSON.stringify(flags.interval)}`)
      const client = clientOf(flags, io)
      const controller = new AbortController()
      const stop = () => controller.abort()
      process.once('SIGINT', stop)
      try {
        const filter = { status: flags.status, target: flags.target, agent: flags.agent, kind: flags.kind }
        await watchActions(client, io, { filter, signal: controller.signal, terminal: terminalOf(io), json: Boolean(flags.json), intervalMs: seconds * 1000 })
      } finally {
        process.off('SIGINT', stop)
      }
    })
  return gatewayOptions(command)
}
