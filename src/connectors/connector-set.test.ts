import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CONNECTOR_TYPES, ConnectorSet, connectorProblems, createConnector } from './index.js'
import { testRequest, testTarget } from './test-support.js'

describe('connector set', () => {
  it('builds a connector once per target name and closes them all', async () => {
    const connectors = new ConnectorSet()
    const target = testTarget('shell', { type: 'shell', run_as_gateway_user: true }, 'build-host')
    const first = connectors.get(target)
    assert.equal(connectors.get(target), first)
    assert.notEqual(connectors.get(testTarget('shell', { type: 'shell', run_as_gateway_user: true }, 'other-host')), first)
    assert.equal((await first.execute(testRequest(target, { argv: ['true'] }))).status, 'succeeded')
    await connectors.close()
    assert.throws(() => connectors.get(target), /closed/)
  })

  it('throws for bad options without caching, naming the target', () => {
    const connectors = new ConnectorSet()
    const bad = testTarget('shell', { type: 'shell', timeout: 'forever', run_as_gateway_user: true }, 'build-host')
    assert.throws(() => connectors.get(bad), { code: 'INVALID', message: /target build-host: connector option timeout: expected a duration/ })
    assert.throws(() => connectors.get(bad), /timeout/)
  })

  it('refuses to run commands as the gateway\'s own user unless the target accepts it (fail closed)', () => {
    const connectors = new ConnectorSet()
    assert.throws(() => connectors.get(testTarget('shell', { type: 'shell' }, 'build-host')), { code: 'INVALID', message: /target build-host: connector option user: set an account of its own for the commands .*run_as_gateway_user: true/ })
    assert.throws(() => connectors.get(testTarget('terraform', { type: 'terraform', working_dir: '/srv/infra' }, 'infra')), { code: 'INVALID', message: /set an account of its own for Terraform .*providers and provisioners can read/ })
  })
})

describe('connector problems', () => {
  it('names unknown types, missing connectors and kinds no connector runs', () => {
    assert.deepEqual(CONNECTOR_TYPES, ['postgres', 'mysql', 'pglite', 'shell', 'ssh', 'http', 'mcp', 'terraform'])
    assert.deepEqual(connectorProblems(testTarget('sql', { type: 'oracle' }, 'db')), ['target db: connector type "oracle" is unknown; expected one of postgres, mysql, pglite, shell, ssh, http, mcp, terraform'])
    assert.deepEqual(connectorProblems(testTarget('terraform', { type: 'shell' }, 'infra')), [
      'target infra: a shell connector runs shell actions, but the target is of kind terraform (its connectors: terraform)',
    ])
    assert.deepEqual(connectorProblems(testTarget('kubernetes', { type: 'shell' }, 'k8s')), [
      'target k8s: a shell connector runs shell actions, but the target is of kind kubernetes (no connector runs them yet)',
    ])
    const { connector: _none, ...plain } = testTarget('sql', { type: 'postgres', url: 'env:X' }, 'db')
    assert.deepEqual(connectorProblems(plain), [])
    assert.throws(() => createConnector(plain), /has no connector/)
  })
})
