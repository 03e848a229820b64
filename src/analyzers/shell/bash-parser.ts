import { createRequire } from 'node:module'
import { Language, Parser } from 'web-tree-sitter'

let loading: Promise<Parser> | undefined

/**
 * The one tree-sitter parser with the bash grammar, loaded on first call and shared: loading
 * the WASM takes milliseconds, a parse of one command line microseconds. Only the grammar's
 * `.wasm` is used, so the package's native build need not have run.
 */
export function loadBashParser(): Promise<Parser> {
  loading ??= (async function load(): Promise<Parser> {
    await Parser.init()
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm')
    const language = await Language.load(wasm)
    return new Parser().setLanguage(language)
  })().catch((error: unknown) => {
    // Let a later call retry rather than remember the failure forever.
    loading = undefined
    throw error
  })
  return loading
}
