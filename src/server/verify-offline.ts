import { parseWitnessKey, type SignedCheckpoint, type StoredAuditEvent, type VerifyReport } from '../audit/index.js'
import { verifyStore } from '../service/index.js'
import type { Config } from '../config/index.js'
import { Store } from '../store/index.js'
import { auditSignerFor, previousKeysFor } from './signing-key.js'
import { openStore } from './start-gateway.js'

/**
 * Verifies the audit chain straight from the store, without a running gateway (`countersign audit
 * verify --config F`): for an auditor who does not trust the gateway's own answer, or when it is
 * down. An embedded store must not be in use by a gateway (its data directory is locked).
 */
export async function verifyAuditOffline(config: Config, options: { readonly anchors?: readonly SignedCheckpoint[]; readonly now?: Date } = {}): Promise<VerifyReport> {
  const store = await Store.open(await openStore(config))
  try {
    const key = auditSignerFor(config)
    const freshness = { intervalMs: config.audit.checkpoint_interval_ms, now: options.now ?? new Date() }
    const witnessQuorum = { required: config.audit.witness_quorum, witnesses: config.audit.witnesses.map((text) => parseWitnessKey(text)) }
    return await verifyStore(store, [key.publicKey, ...previousKeysFor(config)], { freshness, witnessQuorum, ...(options.anchors && { anchors: options.anchors }) })
  } finally {
    await store.close()
  }
}

/**
 * Every stored audit event, read straight from the store (`countersign audit proof --config F`):
 * proofs computed without asking the gateway. The same rule as verification: an embedded store
 * must not be in use.
 */
export async function readAuditOffline(config: Config): Promise<StoredAuditEvent[]> {
  const store = await Store.open(await openStore(config))
  try {
    const events: StoredAuditEvent[] = []
    for await (const event of store.allAuditEvents()) events.push(event)
    return events
  } finally {
    await store.close()
  }
}
