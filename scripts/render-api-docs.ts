/**
 * Renders the reference part of docs/api.md from the gateway's OpenAPI document (built in this
 * process), keeping the hand-written intro above the marker. src/http/api-docs.test.ts fails
 * when the committed file differs from what this prints.
 *
 *   node --import tsx scripts/render-api-docs.ts
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { renderApiDocsFile } from '../src/http/test-openapi-document.js'

const PATH = resolve(import.meta.dirname, '../docs/api.md')
writeFileSync(PATH, await renderApiDocsFile(PATH))
console.log(`wrote ${PATH}`)
