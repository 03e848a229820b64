#!/usr/bin/env node
// The `countersign` command. In a source checkout (src/ present) it runs the TypeScript sources
// through tsx, so that `npm ci && npm start` needs no build and never runs a stale one. Installed
// from the package it runs dist/: the verbs agents call on every tool use from the single bundled
// file (it loads nothing of the gateway and starts fast), every other verb from the compiled CLI.
import { existsSync } from 'node:fs'

const AGENT_VERBS = new Set(['submit', 'exec', 'hook', 'mcp'])

const source = new URL('../src/cli/main.ts', import.meta.url)
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(source.href)
} else if (AGENT_VERBS.has(process.argv[2] ?? '')) {
  await import(new URL('../dist/countersign-agent.mjs', import.meta.url).href)
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href)
}
