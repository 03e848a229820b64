import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { namespacedNames, TOOL_NAME } from './tool-names.js'

describe('namespaced tool names', () => {
  it('names a tool TARGET__TOOL when that is a valid name', () => {
    assert.deepEqual(namespacedNames([{ target: 'github', tool: 'create_issue' }, { target: 'prod-fs', tool: 'read-file' }]), ['github__create_issue', 'prod-fs__read-file'])
  })

  it('shortens names that are too long or hold other characters, the same way every time', () => {
    const refs = [
      { target: 'docs.internal', tool: 'search' },
      { target: 'github', tool: 'x'.repeat(80) },
      { target: 'files', tool: 'read file/utf8' },
    ]
    const names = namespacedNames(refs)
    for (const name of names) assert.ok(TOOL_NAME.test(name), name)
    assert.match(names[0]!, /^docs_internal__search_[0-9a-f]{8}$/)
    assert.equal(names[1]!.length, 64)
    assert.deepEqual(namespacedNames(refs), names)
  })

  it('gives two tools that would read the same distinct names', () => {
    const names = namespacedNames([
      { target: 'a__b', tool: 'c' },
      { target: 'a', tool: 'b__c' },
    ])
    assert.notEqual(names[0], names[1])
    for (const name of names) assert.match(name, /^a__b__c_[0-9a-f]{8}$/)
  })
})
