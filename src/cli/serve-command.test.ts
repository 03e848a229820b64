import assert from 'node:assert/strict'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { loadConfig } from '../config/index.js'
import { writeTestConfig } from '../server/test-process.js'
import { noTokensHint } from './serve-command.js'

const EXAMPLES = resolve(import.meta.dirname, '../../examples')

describe('countersign serve --config', () => {
  it('says how to create a token when nobody in the config has one', () => {
    // The example config, as a new user copies it: identities without tokens.
    const hint = noTokensHint(loadConfig(join(EXAMPLES, 'countersign.yaml')))
    assert.ok(hint)
    assert.match(hint, /^No agent or human in the config has a token yet, so no one can call the API\. Create one:\n {2}countersign token create --agent deploy-bot {5}# then add line 2 to identities\.agents\[id=deploy-bot\]\.token_sha256\n {2}countersign token create --user alice@example\.com/)
  })

  it('says nothing when someone has a token', () => {
    const config = writeTestConfig({ data_dir: '/tmp/unused' })
    assert.equal(noTokensHint(loadConfig(config.file)), undefined)
  })
})
