import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { configFromObject } from './index.js'

describe('config policy.source', () => {
  it('reads a path as the file in force, and {source, file} as either mode', () => {
    const plain = configFromObject({ policy: './policy.yaml' }, { baseDir: '/etc/countersign' })
    assert.deepEqual([plain.policy, plain.policy_source], ['/etc/countersign/policy.yaml', 'file'])
    const stored = configFromObject({ policy: { source: 'store', file: './seed.yaml' } }, { baseDir: '/etc/countersign' })
    assert.deepEqual([stored.policy, stored.policy_source], ['/etc/countersign/seed.yaml', 'store'])
    const file = configFromObject({ policy: { file: './policy.yaml' } }, { baseDir: '/etc/countersign' })
    assert.equal(file.policy_source, 'file')
  })

  it('refuses another source or key, with what it expects', () => {
    assert.throws(() => configFromObject({ policy: { source: 'git', file: './policy.yaml' } }, { baseDir: '/tmp' }), /invalid config/)
    assert.throws(() => configFromObject({ policy: { source: 'store', path: './policy.yaml' } }, { baseDir: '/tmp' }), (error: Error & { details?: { message: string }[] }) => {
      assert.match(error.details?.map((detail) => detail.message).join('\n') ?? '', /expected the path of the policy file, or \{source: file \| store, file: PATH\}/)
      return true
    })
  })
})
