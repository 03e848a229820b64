import type { ActionKind } from '../action/index.js'
import type { Analysis, AnalysisContext, Analyzer, FactTypes } from './analyzer.js'
import { loadHttpAnalyzer } from './http/index.js'
import { loadKubernetesAnalyzer } from './kubernetes/index.js'
import { mcpAnalyzer, type ToolAnnotationSource } from './mcp/index.js'
import { loadShellAnalyzer } from './shell/index.js'
import { loadSqlAnalyzer } from './sql/index.js'
import { loadTerraformAnalyzer } from './terraform/index.js'

export type { Analysis, AnalysisContext, Analyzer, FactTypes, SqlDialect } from './analyzer.js'
export { SQL_DIALECTS } from './analyzer.js'
export { analyzeAction, targetDialect, type AnalyzedTarget } from './analyze-action.js'
export type { SqlFacts, SqlStatementFacts, SqlStatementType, RawCatalog, SqlCatalog, CatalogDependency, CatalogRelation, Volatility } from './sql/index.js'
export { buildSqlCatalog, plannableStatements } from './sql/index.js'
export type { ShellCommandFacts, ShellFacts, ShellRedirectFacts } from './shell/index.js'
export type { HttpFacts } from './http/index.js'
export type { TerraformFacts } from './terraform/index.js'
export type { KubernetesFacts } from './kubernetes/index.js'
export type { McpFacts, ToolAnnotationSource, ToolHints } from './mcp/index.js'

/** The facts of one kind as policies see them: CEL variable name (the kind), root type and type declarations. */
export interface FactKindDeclaration {
  readonly name: string
  readonly rootType: string
  readonly types: FactTypes
}

/** Every analyzer, loaded, plus the declarations of every kind's facts. */
export interface Analyzers {
  /** Facts of every kind a policy may read. */
  readonly factKinds: readonly FactKindDeclaration[]
  /** The analysis of a payload, or `undefined` for a kind without an analyzer (`custom`). */
  analyze(kind: ActionKind, payload: Readonly<Record<string, unknown>>, context?: AnalysisContext): Analysis | undefined
}

/** What the analyzers read besides payloads. */
export interface AnalyzerOptions {
  /** The annotations of MCP upstreams' tools, as the gateway listed them; without it every tool counts as destructive. */
  readonly tools?: ToolAnnotationSource | undefined
}

let loading: Promise<{ readonly parsers: readonly Analyzer[]; readonly factKinds: readonly FactKindDeclaration[] }> | undefined

/**
 * Loads the analyzers (the SQL and bash parsers are WebAssembly modules, loaded once per process).
 * The fact declarations are one array per process, so compiled policies share their CEL environment.
 *
 * @example
 * const analyzers = await loadAnalyzers()
 * analyzers.analyze('sql', { sql: 'DELETE FROM users' })?.facts
 */
export async function loadAnalyzers(options: AnalyzerOptions = {}): Promise<Analyzers> {
  loading ??= (async function load() {
    const parsers: readonly Analyzer[] = await Promise.all([loadSqlAnalyzer(), loadShellAnalyzer(), loadTerraformAnalyzer(), loadKubernetesAnalyzer(), loadHttpAnalyzer()])
    const factKinds = [...parsers, mcpAnalyzer()].map((analyzer) => ({ name: analyzer.kind, rootType: analyzer.rootType, types: analyzer.types }))
    return { parsers, factKinds }
  })()
  const { parsers, factKinds } = await loading
  const byKind = new Map<ActionKind, Analyzer>([...parsers, mcpAnalyzer(options.tools)].map((analyzer) => [analyzer.kind, analyzer]))
  return {
    factKinds,
    analyze: (kind, payload, context) => byKind.get(kind)?.analyze(payload, context),
  }
}
