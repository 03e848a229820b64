import type { FactTypes } from './analyzer.js'

/**
 * Facts of kinds whose analyzers are not built yet, declared so policies can name them today.
 * An action of such a kind has no facts of its own kind at evaluation time, so a condition that
 * reads them errors, and an erroring condition never allows (PRODUCT.md §2).
 */
export const DECLARED_FACTS: readonly { readonly name: string; readonly rootType: string; readonly types: FactTypes }[] = [
  {
    name: 'mcp',
    rootType: 'McpFacts',
    types: {
      McpFacts: {
        server: 'string',
        tool: 'string',
        arguments: 'map<string, dyn>',
        read_only: 'bool',
        destructive: 'bool',
        idempotent: 'bool',
        open_world: 'bool',
      },
    },
  },
]
