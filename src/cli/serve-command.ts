import { resolve } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import type { Config } from '../config/index.js'
import type { CliIo } from './io.js'

/** `countersign serve`: run the gateway until SIGINT/SIGTERM; SIGHUP reloads the policy. */
export function serveCommand(io: CliIo): Command {
  return new Command('serve')
    .description('run the gateway; with no config, a quickstart with an embedded store in ./.countersign, the example policy and demo tokens')
    .option('--config <file>', 'countersign.yaml (default: COUNTERSIGN_CONFIG; none: quickstart)')
    .option('--port <n>', 'listen on this port instead of server.listen\'s', parsePort)
    .addHelpText(
      'after',
      `
Examples:
  countersign serve                                  quickstart: embedded store in ./.countersign, demo tokens printed
  countersign serve --config /etc/countersign.yaml   production config (PostgreSQL via store.database_url)
  kill -HUP <pid>                                    reload the policy (an invalid one is reported; the last valid one stays)`,
    )
    .action(async (options: { config?: string; port?: number }) => {
      // Loaded here: the other verbs start without the store, the HTTP server and their WASM.
      const { loadConfig } = await import('../config/index.js')
      const { quickstartBanner, quickstartConfig, seedDemoDatabase, startGateway } = await import('../server/index.js')
      const file = options.config ?? io.env['COUNTERSIGN_CONFIG']
      const quickstart = file ? undefined : quickstartConfig({ dataDir: resolve(io.cwd, '.countersign'), port: options.port })
      const config = quickstart?.config ?? loadConfig(resolve(io.cwd, file!))
      // `npm start` builds the web console's assets when missing (or older than their sources); a
      // deployment builds them beforehand (npm run build:console). The API does not need them.
      if (quickstart && config.store.kind === 'embedded') await seedDemoDatabase(config.store.data_dir)
      if (quickstart) {
        const { ensureConsoleBuilt } = await import('../console/index.js')
        await ensureConsoleBuilt({ onBuild: () => io.stderr('Building the web console (once)…\n') }).catch((error: unknown) =>
          io.stderr(`warning: the web console could not be built (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); the API works without it\n`),
        )
      }
      const running = await startGateway(config, { port: options.port })
      if (quickstart && config.store.kind === 'embedded') io.stdout(quickstartBanner(running.url, config.store.data_dir, quickstart.tokens))
      const hint = quickstart ? undefined : noTokensHint(config)
      if (hint) io.stderr(hint)
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.off('SIGHUP', reload)
          void running.close().then(done)
        }
        const reload = (): void => void running.reloadPolicy()
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        process.on('SIGHUP', reload)
      })
    })
}

/**
 * What to do when no agent or human of the config has a token (nobody could call the API): the
 * `countersign token create` lines for the first agent and human. `undefined` when one has.
 */
export function noTokensHint(config: Pick<Config, 'identities'>): string | undefined {
  const { agents, humans } = config.identities
  if ([...agents, ...humans].some((identity) => identity.token_sha256.length > 0)) return undefined
  const lines = ['No agent or human in the config has a token yet, so no one can call the API. Create one:']
  if (agents[0]) lines.push(`  countersign token create --agent ${agents[0].id}     # then add line 2 to identities.agents[id=${agents[0].id}].token_sha256`)
  if (humans[0]) lines.push(`  countersign token create --user ${humans[0].email}     # then add line 2 to identities.humans[email=${humans[0].email}].token_sha256`)
  if (!agents[0] && !humans[0]) lines.push('  add an agent under identities.agents (or a human under identities.humans), then: countersign token create --agent ID')
  lines.push('and restart the gateway. Agents with workload identity (identities.workload) need no stored token.')
  return `${lines.join('\n')}\n`
}

function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number (0–65535)')
  return port
}
