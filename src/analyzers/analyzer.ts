import type { ActionKind } from '../action/index.js'
import type { SqlCatalog } from './sql/catalog.js'

/** What an analyzer derives from one payload. */
export interface Analysis<F extends object = object> {
  /** The facts policies read under the kind's name (docs/facts.md). Plain JSON: numbers, strings, booleans, arrays, objects. */
  readonly facts: F
  /** One line an approver reads first, e.g. `DELETE on public.users without WHERE; SELECT on public.orders`. */
  readonly summary: string
  /** The risky points, most serious first, each one short sentence (e.g. `DELETE without WHERE on public.users`). Empty when none. */
  readonly highlights: readonly string[]
}

/**
 * CEL type declarations of a kind's facts: type name → field → CEL type (`bool`, `int`,
 * `string`, `list<string>`, `list<OtherType>`…). `int` fields hold JS integers in the facts;
 * the policy engine converts them for CEL.
 */
export type FactTypes = Readonly<Record<string, Readonly<Record<string, string>>>>

/** What an analyzer may know besides the payload; only what the gateway vouches for, never the agent. */
export interface AnalysisContext {
  /** The action's target: where it runs (the `mcp` analyzer looks its tools' annotations up by it). */
  readonly target?: string | undefined
  /** The SQL dialect of the target (`sql` only): which server's grammar the text is read with. Default `postgresql`. */
  readonly dialect?: SqlDialect | undefined
  /**
   * The catalog of the target's PostgreSQL database, as the gateway last read it with the
   * connector's credentials (`sql` analyzer: sets `catalog_checked`); absent when there is none
   * or it could not be read, and then nothing is judged more permissively than by name.
   */
  readonly sqlCatalog?: SqlCatalog | undefined
  /** The planner's row estimate per SQL statement, by position (`EXPLAIN`, never `ANALYZE`); `-1` when unknown. */
  readonly estimatedRows?: readonly number[] | undefined
}

/** SQL dialects a target may speak (`targets[].dialect`). */
export const SQL_DIALECTS = ['postgresql', 'mysql'] as const
export type SqlDialect = (typeof SQL_DIALECTS)[number]

/** Turns a validated payload of one kind into facts. Pure and synchronous once loaded. */
export interface Analyzer<F extends object = object> {
  readonly kind: ActionKind
  /** The CEL type of the facts' root, declared in `types`. */
  readonly rootType: string
  readonly types: FactTypes
  /** Never throws for a payload that passed the kind's schema: unparseable input sets `parse_error`. */
  analyze(payload: Readonly<Record<string, unknown>>, context?: AnalysisContext): Analysis<F>
}
