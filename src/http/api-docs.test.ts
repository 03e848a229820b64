import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test } from 'node:test'
import { API_DOCS_MARKER } from './api-docs.js'
import { renderApiDocsFile } from './test-openapi-document.js'

const PATH = resolve(import.meta.dirname, '../../docs/api.md')

test('docs/api.md is the reference rendered from the OpenAPI document, below its hand-written intro', async () => {
  const committed = readFileSync(PATH, 'utf8')
  assert.ok(committed.includes(API_DOCS_MARKER), 'docs/api.md has the marker line: run node --import tsx scripts/render-api-docs.ts')
  const rendered = await renderApiDocsFile(PATH)
  assert.ok(rendered === committed, 'docs/api.md differs from the OpenAPI document: run node --import tsx scripts/render-api-docs.ts and commit the result')
})
