import type { ConnectorConfig, TargetConfig } from '../config/index.js'

/**
 * The target every policy change is on (`policy.source: store`): built in, never in the config;
 * its connector (the `PolicyChanges` one) puts an approved change in force.
 */
export const POLICY_TARGET: TargetConfig = Object.freeze({ name: 'policy', kind: 'policy', labels: Object.freeze({}), connector: Object.freeze({ type: 'policy' }) as unknown as ConnectorConfig })
