// TEST SUPPORT ONLY (excluded from the build by its test- prefix).
//
// A real gateway (the test organization of src/server/test-gateway.ts, on an embedded test store)
// served over HTTP on 127.0.0.1, so that the SDK is tested as agents use it: over the network.
import { serveOnLoopback, testGateway, type Person, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'
import { Countersign, type CountersignOptions } from './index.js'

/** The policy of the SDK's tests: every effect, a brokered target that runs anything. */
export const SDK_TEST_POLICY = `
version: 1
default: review
default_review: { approvers: [group:oncall], timeout: 1h }
rules:
  - id: read-only
    match: { kind: sql }
    when: sql.read_only
    effect: allow
  - id: no-drop
    when: sql.statements.exists(s, s.type == "drop")
    effect: deny
    message: Dropping is never allowed.
  - id: echo
    match: { kind: shell }
    when: shell.programs.all(p, p == "echo")
    effect: allow
  - id: runner
    match: { target: runner }
    effect: allow
`

/** A served test gateway and clients of it. */
export interface ServedGateway {
  readonly gw: TestGateway
  readonly url: string
  /** A client with `who`'s token. */
  client(who: Person, options?: Omit<CountersignOptions, 'url' | 'token'>): Countersign
  close(): Promise<void>
}

/**
 * Starts the test gateway (with {@link SDK_TEST_POLICY} unless `policy` is given, a brokered
 * shell target `runner`, and `targets`) and serves it on a free port of 127.0.0.1.
 */
export async function servedGateway(options: { policy?: string; sweepMs?: number; targets?: readonly Record<string, unknown>[]; workload?: readonly Record<string, unknown>[] } = {}): Promise<ServedGateway> {
  const connection = await testStores()[0]!.open()
  const gw = await testGateway(connection, {
    policy: options.policy ?? SDK_TEST_POLICY,
    sweepMs: options.sweepMs ?? 60_000,
    ...(options.workload && { workload: options.workload }),
    targets: [{ name: 'runner', kind: 'shell', labels: { env: 'staging' }, connector: { type: 'shell', run_as_gateway_user: true } }, ...(options.targets ?? [])],
  })
  const server = await serveOnLoopback(gw.app.fetch)
  const { url } = server
  return {
    gw,
    url,
    client: (who, clientOptions = {}) => new Countersign({ ...clientOptions, url, token: gw.tokens[who] }),
    async close() {
      await server.close()
      await gw.close()
      await connection.drop()
    },
  }
}
