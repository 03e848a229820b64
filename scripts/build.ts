/**
 * Builds the package into dist/, as `npm pack` and `npm publish` ship it (`prepack`):
 * - the gateway, the CLI and the SDK, compiled by tsc (`.js` with `.d.ts`), tests left out;
 * - the web console's assets (Vite) into console/dist, where the gateway serves them from
 *   (the package's copy: an installed gateway has no console sources to build);
 * - the agent-side CLI as one file, dist/countersign-agent.mjs: the verbs agents call on every
 *   tool use (`submit`, `exec`, `hook`, `mcp`) and the SDK, bundled with their dependencies by
 *   esbuild, so that it runs on an agent host with Node alone (no node_modules).
 *
 *   npm run build
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, rmSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { ensureConsoleBuilt } from '../src/console/index.js'

const ROOT = resolve(import.meta.dirname, '..')
const SOURCES = resolve(ROOT, 'src') + '/'
/** The agent-side CLI's single file. */
export const AGENT_BUNDLE = resolve(ROOT, 'dist/countersign-agent.mjs')

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`)
}

/**
 * Our modules do nothing when imported but define things, so the bundle may leave out what a
 * folder's `index.ts` re-exports and the agent verbs never use (the policy compiler behind a
 * duration formatter, say). Said here, for this bundle, rather than in package.json, where it
 * would apply to the console's build too.
 */
const sourcesWithoutSideEffects: Plugin = {
  name: 'sources-without-side-effects',
  setup(bundle) {
    bundle.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'entry-point' || !args.importer.startsWith(SOURCES)) return undefined
      const path = resolve(dirname(args.importer), args.path.replace(/\.js$/, '.ts'))
      return path.startsWith(SOURCES) ? { path, sideEffects: false } : undefined
    })
  },
}

/** Bundles the agent-side CLI into one executable file. */
export async function buildAgentBundle(outfile = AGENT_BUNDLE): Promise<void> {
  await build({
    entryPoints: [resolve(ROOT, 'src/cli/agent-main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'eof',
    logLevel: 'warning',
    plugins: [sourcesWithoutSideEffects],
    // Some dependencies are CommonJS and `require` Node's modules: an ES module has no `require` of its own.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __countersignRequire } from 'node:module';\nconst require = __countersignRequire(import.meta.url);" },
  })
  chmodSync(outfile, 0o755)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  rmSync(resolve(ROOT, 'dist'), { recursive: true, force: true })
  run(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'])
  run(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'console'])
  // Built beside the served copy and swapped in whole (and not at all when fresh): tests and
  // gateways reading console/dist meanwhile never see it half written.
  await ensureConsoleBuilt()
  await buildAgentBundle()
}
