import type { ActionKind } from '../action/index.js'
import type { Analysis, AnalysisContext, SqlDialect } from './analyzer.js'
import type { Analyzers } from './index.js'

/** What the analysis of an action reads from its target's configuration. */
export interface AnalyzedTarget {
  /** `targets[].dialect` as configured; absent means: as the connector speaks, else `postgresql`. */
  readonly dialect?: SqlDialect | undefined
  readonly connector?: { readonly type: string } | undefined
}

/**
 * The SQL dialect of a target: its `dialect`, else `mysql` when its connector is `mysql`, else
 * `postgresql`. (The config schema refuses a `dialect` that contradicts the connector.)
 */
export function targetDialect(target: AnalyzedTarget | undefined): SqlDialect {
  return target?.dialect ?? (target?.connector?.type === 'mysql' ? 'mysql' : 'postgresql')
}

/**
 * The analysis of an action on a target: the one function `POST /v1/decide`, submissions and the
 * CLI's `policy explain` / `policy test` all call, so that they read the same text the same way.
 * `known` is what the gateway read from the target beforehand (its catalog, row estimates); the CLI
 * has none. `undefined` for a kind without an analyzer.
 *
 * @example
 * analyzeAction(analyzers, { kind: 'sql', target: 'shop-db', payload: { sql: 'SELECT `id` FROM t' } }, { dialect: 'mysql' })?.facts
 */
export function analyzeAction(
  analyzers: Pick<Analyzers, 'analyze'>,
  action: { readonly kind: ActionKind; readonly target: string; readonly payload: Readonly<Record<string, unknown>> },
  target: AnalyzedTarget | undefined,
  known: Pick<AnalysisContext, 'sqlCatalog' | 'estimatedRows'> = {},
): Analysis | undefined {
  // The target, not the payload's claims: the mcp analyzer reads the annotations of the tools where the action runs.
  return analyzers.analyze(action.kind, action.payload, { target: action.target, dialect: targetDialect(target), ...known })
}
