import { loadAnalyzers } from '../analyzers/index.js'
import { directoryOf, type Config } from '../config/index.js'
import { compilePolicy } from '../policy/index.js'
import { replayPolicy, type ReplayOptions, type ReplayReport } from '../service/index.js'
import { Store } from '../store/index.js'
import { openStore } from './start-gateway.js'

/**
 * Replays a candidate policy over the history in a config's store, without a running gateway
 * (`countersign policy replay F --config C`): the store is only read. An embedded store must not
 * be in use by a gateway (its data directory is locked); PostgreSQL can be read beside running replicas.
 */
export async function replayOffline(config: Config, candidate: { readonly text: string; readonly file: string }, options: Omit<ReplayOptions, 'publicUrl'>): Promise<ReplayReport> {
  const analyzers = await loadAnalyzers()
  // Compiled before the store is opened: an invalid candidate is reported without touching it.
  const policy = compilePolicy(candidate.text, { file: candidate.file, factKinds: analyzers.factKinds })
  const store = await Store.open(await openStore(config))
  try {
    return await replayPolicy({ store, directory: directoryOf(config), analyzers }, policy, { ...options, publicUrl: config.server.public_url })
  } finally {
    await store.close()
  }
}
