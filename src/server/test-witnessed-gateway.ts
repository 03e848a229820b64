import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatWitnessKey } from '../audit/index.js'
import type { ClientIo } from '../cli/client-command.js'
import { runCli } from '../cli/program.js'
import type { TestStoreFactory } from '../store/connection/index.js'
import { serveOnLoopback, testGateway, type Person, type TestGateway } from './test-gateway.js'

/** A test gateway served over HTTP whose config lists one witness, and that witness's state directory. */
export interface WitnessedGateway {
  readonly gw: TestGateway
  readonly url: string
  /** The witness's state directory, made as `audit witness` makes it (its key and its name). */
  readonly state: string
  /** A directory outside the gateway's, for files the tests save (checkpoints, archives). */
  readonly outside: string
  /** Runs the CLI against the gateway as `as` (alice by default), from `outside`. */
  cli(argv: string[], as?: Person): Promise<{ code: number; stdout: string; stderr: string }>
  close(): Promise<void>
}

export async function startWitnessedGateway(store: TestStoreFactory, witness: string): Promise<WitnessedGateway> {
  const state = mkdtempSync(join(tmpdir(), 'countersign-witness-'))
  const outside = mkdtempSync(join(tmpdir(), 'countersign-outside-'))
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  writeFileSync(join(state, 'witness-ed25519.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 })
  writeFileSync(join(state, 'name'), `${witness}\n`)
  const connection = await store.open()
  const gw = await testGateway(connection, { audit: { origin: 'countersign.test/audit', witnesses: [formatWitnessKey(witness, publicKey)] } })
  const server = await serveOnLoopback(gw.app.fetch)
  const { url } = server
  return {
    gw,
    url,
    state,
    outside,
    cli: async (argv, as = 'alice') => {
      let [stdout, stderr] = ['', '']
      const io = { stdout: (text: string) => (stdout += text), stderr: (text: string) => (stderr += text), env: { COUNTERSIGN_URL: url, COUNTERSIGN_TOKEN: gw.tokens[as] }, cwd: outside, terminal: { isTTY: false } } as ClientIo
      const code = await runCli(argv, io)
      return { code, stdout, stderr }
    },
    close: async () => {
      await server.close()
      await gw.close()
      await connection.drop()
    },
  }
}
