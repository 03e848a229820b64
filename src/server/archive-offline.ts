import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs'
import { parseWitnessKey } from '../audit/index.js'
import type { Config } from '../config/index.js'
import { planArchive, pruneArchived, writeArchive, type WrittenArchive } from '../service/index.js'
import { Store } from '../store/index.js'
import { auditSignerFor, previousKeysFor } from './signing-key.js'
import { openStore } from './start-gateway.js'

/**
 * `countersign audit archive`: writes the log's oldest events, through the newest signed
 * checkpoint allowed (see `planArchive`), to a new file `out` with their proofs, and with `prune`
 * then removes them from the store. The file is written and flushed to disk before anything is
 * removed; it is never overwritten. Straight from the store, like `audit verify --config`: an
 * embedded store must not be in use by a gateway.
 */
export async function archiveAuditOffline(config: Config, options: { readonly before: Date | number; readonly out: string; readonly prune: boolean }): Promise<WrittenArchive> {
  const store = await Store.open(await openStore(config))
  try {
    const witnesses = config.audit.witnesses.map((text) => parseWitnessKey(text))
    const plan = await planArchive(store, { before: options.before, witnesses, witnessQuorum: config.audit.witness_quorum, webhooks: config.channels.webhooks.map((webhook) => webhook.url) })
    const key = auditSignerFor(config)
    const fd = openSync(options.out, 'wx', 0o600)
    let written: WrittenArchive
    try {
      written = await writeArchive(store, plan, [key.publicKey, ...previousKeysFor(config)], (line) => {
        writeSync(fd, line)
      })
      fsyncSync(fd)
    } catch (error) {
      closeSync(fd)
      unlinkSync(options.out) // a partial archive must not pass for one
      throw error
    }
    closeSync(fd)
    if (options.prune) await pruneArchived(store, written)
    return written
  } finally {
    await store.close()
  }
}
