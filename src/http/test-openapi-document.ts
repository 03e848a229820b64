import { readFileSync } from 'node:fs'
import { testGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'
import { renderApiDocs, type OpenApiDocument } from './api-docs.js'

/**
 * The gateway's OpenAPI document, built in this process: the app of a test gateway on an
 * in-memory embedded store answers `GET /openapi.json`, exactly as a running gateway would.
 * (A development helper: scripts/render-api-docs.ts and its test; not part of the build.)
 */
export async function buildOpenApiDocument(): Promise<OpenApiDocument> {
  const store = await testStores()[0]!.open()
  try {
    const gw = await testGateway(store)
    try {
      return (await gw.call('GET', '/openapi.json')).body as OpenApiDocument
    } finally {
      await gw.close()
    }
  } finally {
    await store.drop()
  }
}

/** docs/api.md rendered again from the committed file at `path` and the gateway's document. */
export async function renderApiDocsFile(path: string): Promise<string> {
  return renderApiDocs(await buildOpenApiDocument(), readFileSync(path, 'utf8'))
}
