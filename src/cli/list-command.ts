import { Option, type Command } from 'commander'
import { ACTION_KINDS } from '../action/index.js'
import { CountersignError } from '../errors/index.js'
import { ACTION_STATUSES } from '../lifecycle/index.js'
import { renderActionTable } from './action-table.js'
import type { ActionPage } from './api-types.js'
import { actionId, clientCommand, clientOf, gatewayOptions, printJson, terminalOf, type ClientFlags, type ClientIo } from './client-command.js'

/** The query of `GET /v1/actions` the filter flags of `list` and `watch` make. */
export interface ListFilter {
  readonly status?: string | undefined
  readonly target?: string | undefined
  readonly agent?: string | undefined
  readonly kind?: string | undefined
}

interface ListFlags extends ClientFlags, ListFilter {
  readonly limit?: string
  readonly cursor?: string
}

/** `countersign list`: actions, newest first, as a table. */
export function listCommand(io: ClientIo): Command {
  const command = clientCommand('list', 'list actions, newest first: id, age, status, agent, target, kind and what it does', io, ['countersign list --status pending', 'countersign list --target prod-db --agent deploy-bot --limit 100', 'countersign list --status denied,expired --json'])
    .option('--status <statuses>', `only these statuses, comma-separated (${ACTION_STATUSES.join(', ')})`)
    .option('--target <name>', 'only actions on this target')
    .option('--agent <id>', 'only actions of this agent')
    .addOption(new Option('--kind <kind>', 'only actions of this kind').choices(ACTION_KINDS))
    .option('--limit <n>', 'at most this many (1–200)', '50')
    .option('--cursor <id>', 'continue after this action (the next_cursor of a previous page)')
    .action(async (flags: ListFlags) => {
      const limit = Number(flags.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new CountersignError('INVALID', `--limit: expected a whole number from 1 to 200, got ${JSON.stringify(flags.limit)}`)
      const query = { ...filterQuery(flags), limit, cursor: flags.cursor === undefined ? undefined : actionId(flags.cursor) }
      const page = await clientOf(flags, io).request<ActionPage>('GET', '/v1/actions', { query })
      if (flags.json) return printJson(io, page)
      const terminal = terminalOf(io)
      io.stdout(renderActionTable(page.actions, new Date(), terminal.isTTY ? terminal.columns : undefined))
      if (page.next_cursor) io.stderr(`more: add --cursor ${page.next_cursor}\n`)
    })
  return gatewayOptions(command)
}

/** The list query for filter flags; an unknown status is a usage error, found before anything is sent. */
export function filterQuery(filter: ListFilter): ListFilter {
  if (filter.status !== undefined) {
    const statuses = filter.status.split(',').map((status) => status.trim()).filter(Boolean)
    const unknown = statuses.filter((status) => !(ACTION_STATUSES as readonly string[]).includes(status))
    if (unknown.length > 0 || statuses.length === 0) throw new CountersignError('INVALID', `--status: unknown status ${JSON.stringify(unknown[0] ?? filter.status)} (expected ${ACTION_STATUSES.join(', ')})`)
    return { ...filter, status: statuses.join(',') }
  }
  return filter
}
