import type { VerifyReport } from '../audit/index.js'
import { verifyStore } from '../service/index.js'
import type { Config } from '../config/index.js'
import { Store } from '../store/index.js'
import { previousKeysFor, signingKeyFor } from './signing-key.js'
import { openStore } from './start-gateway.js'

/**
 * Verifies the audit chain straight from the store, without a running gateway (`countersign audit
 * verify --config F`): for an auditor who does not trust the gateway's own answer, or when it is
 * down. An embedded store must not be in use by a gateway (its data directory is locked).
 */
export async function verifyAuditOffline(config: Config): Promise<VerifyReport> {
  const store = await Store.open(await openStore(config))
  try {
    const key = signingKeyFor(config)
    return await verifyStore(store, [key.publicKey, ...previousKeysFor(config)])
  } finally {
    await store.close()
  }
}
