import type { ActionKind } from '../action/index.js'
import type { Analysis, Analyzer, FactTypes } from './analyzer.js'
import { DECLARED_FACTS } from './declared-facts.js'
import { loadHttpAnalyzer } from './http/index.js'
import { loadKubernetesAnalyzer } from './kubernetes/index.js'
import { loadShellAnalyzer } from './shell/index.js'
import { loadSqlAnalyzer } from './sql/index.js'
import { loadTerraformAnalyzer } from './terraform/index.js'

export type { Analysis, Analyzer, FactTypes } from './analyzer.js'
export type { SqlFacts, SqlStatementFacts, SqlStatementType } from './sql/index.js'
export type { ShellCommandFacts, ShellFacts, ShellRedirectFacts } from './shell/index.js'
export type { HttpFacts } from './http/index.js'
export type { TerraformFacts } from './terraform/index.js'
export type { KubernetesFacts } from './kubernetes/index.js'

/** The facts of one kind as policies see them: CEL variable name (the kind), root type and type declarations. */
export interface FactKindDeclaration {
  readonly name: string
  readonly rootType: string
  readonly types: FactTypes
}

/** Every analyzer, loaded, plus the declarations of every kind's facts. */
export interface Analyzers {
  /** Facts of every kind a policy may read, analyzed or only declared. */
  readonly factKinds: readonly FactKindDeclaration[]
  /** The analysis of a payload, or `undefined` for a kind without an analyzer (`custom`, and kinds not built yet). */
  analyze(kind: ActionKind, payload: Readonly<Record<string, unknown>>): Analysis | undefined
}

let loading: Promise<Analyzers> | undefined

/**
 * Loads the analyzers once per process (the SQL and bash parsers are WebAssembly modules).
 *
 * @example
 * const analyzers = await loadAnalyzers()
 * analyzers.analyze('sql', { sql: 'DELETE FROM users' })?.facts
 */
export function loadAnalyzers(): Promise<Analyzers> {
  loading ??= (async function load(): Promise<Analyzers> {
    const loaded: readonly Analyzer[] = await Promise.all([loadSqlAnalyzer(), loadShellAnalyzer(), loadTerraformAnalyzer(), loadKubernetesAnalyzer(), loadHttpAnalyzer()])
    const byKind = new Map<ActionKind, Analyzer>(loaded.map((analyzer) => [analyzer.kind, analyzer]))
    const factKinds = [...loaded.map((analyzer) => ({ name: analyzer.kind, rootType: analyzer.rootType, types: analyzer.types })), ...DECLARED_FACTS]
    return {
      factKinds,
      analyze: (kind, payload) => byKind.get(kind)?.analyze(payload),
    }
  })()
  return loading
}
