import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { Analyzer } from '../analyzer.js'
import { loadTerraformAnalyzer, type TerraformFacts } from './index.js'
import { analyzeChanges, analyzeFixture, changeAt, fixture, planOf, resourceChange } from './test-plans.js'

let terraform: Analyzer<TerraformFacts>
before(async () => {
  terraform = await loadTerraformAnalyzer()
})

/** The fact names docs/facts.md promises. */
const PROMISED = {
  TerraformResourceChange: { address: 'string', type: 'string', actions: 'list<string>' },
  TerraformFacts: {
    resource_changes: 'list<TerraformResourceChange>',
    creates: 'int',
    updates: 'int',
    deletes: 'int',
    replaces: 'int',
    types: 'list<string>',
    destroys_any: 'bool',
    iam_changes: 'list<string>',
    data_stores: 'list<string>',
    public_exposure: 'list<string>',
  },
} as const

describe('terraform analyzer', () => {
  it('declares its kind, root type and a CEL type for every fact field', () => {
    assert.equal(terraform.kind, 'terraform')
    assert.equal(terraform.rootType, 'TerraformFacts')
    const { facts } = terraform.analyze({ plan: fixture('all-actions') })
    assert.deepEqual(Object.keys(terraform.types.TerraformFacts ?? {}).sort(), Object.keys(facts).sort())
    assert.deepEqual(Object.keys(terraform.types.TerraformResourceChange ?? {}).sort(), Object.keys(facts.resource_changes[0] ?? {}).sort())
  })

  it('keeps every promised fact name with its promised type', () => {
    for (const [typeName, fields] of Object.entries(PROMISED)) {
      for (const [field, celType] of Object.entries(fields)) assert.equal(terraform.types[typeName]?.[field], celType, `${typeName}.${field}`)
    }
  })

  it('reads the plan from the payload and ignores plan_sha256', () => {
    const plan = fixture('all-actions')
    const withHash = terraform.analyze({ plan, plan_sha256: 'a'.repeat(64) })
    assert.deepEqual(withHash, terraform.analyze({ plan }))
  })

  it('produces plain JSON facts', () => {
    const { facts } = analyzeFixture('lifecycle-edge-cases')
    assert.deepEqual(JSON.parse(JSON.stringify(facts)), facts)
  })
})

describe('terraform resource changes and counts', () => {
  const { facts, summary, highlights } = analyzeFixture('all-actions')

  it('lists every resource change in plan order with its address, type, actions, mode and provider', () => {
    assert.deepEqual(
      facts.resource_changes.map((change) => [change.address, change.type, change.actions.join('+'), change.mode]),
      [
        ['data.aws_ami.ubuntu', 'aws_ami', 'read', 'data'],
        ['aws_vpc.main', 'aws_vpc', 'no-op', 'managed'],
        ['aws_instance.worker', 'aws_instance', 'create', 'managed'],
        ['aws_instance.web', 'aws_instance', 'update', 'managed'],
        ['aws_db_instance.legacy', 'aws_db_instance', 'delete', 'managed'],
        ['aws_instance.app', 'aws_instance', 'delete+create', 'managed'],
        ['aws_lb_target_group.blue', 'aws_lb_target_group', 'create+delete', 'managed'],
      ],
    )
    assert.equal(changeAt(facts, 'aws_instance.web').provider, 'registry.terraform.io/hashicorp/aws')
  })

  it('counts both replacement orders as replaces, not as creates and deletes', () => {
    assert.deepEqual(
      { creates: facts.creates, updates: facts.updates, deletes: facts.deletes, replaces: facts.replaces, no_ops: facts.no_ops, reads: facts.reads, forgets: facts.forgets },
      { creates: 1, updates: 1, deletes: 1, replaces: 2, no_ops: 1, reads: 1, forgets: 0 },
    )
  })

  it('marks replacements and destruction per resource', () => {
    const flags = Object.fromEntries(facts.resource_changes.map((change) => [change.address, [change.replace, change.destroy]]))
    assert.deepEqual(flags, {
      'data.aws_ami.ubuntu': [false, false],
      'aws_vpc.main': [false, false],
      'aws_instance.worker': [false, false],
      'aws_instance.web': [false, false],
      'aws_db_instance.legacy': [false, true],
      'aws_instance.app': [true, true],
      'aws_lb_target_group.blue': [true, true],
    })
  })

  it('names the changed top-level attributes of updates and replacements, counting unknown ones', () => {
    assert.deepEqual(changeAt(facts, 'aws_instance.web').changed_attributes, ['instance_type', 'tags', 'tags_all'])
    // arn and id are dropped from after and known only after apply; private_ip is unknown.
    assert.deepEqual(changeAt(facts, 'aws_instance.app').changed_attributes, ['ami', 'arn', 'id', 'private_ip'])
    assert.deepEqual(changeAt(facts, 'aws_lb_target_group.blue').changed_attributes, ['arn', 'id', 'port'])
    for (const address of ['aws_instance.worker', 'aws_db_instance.legacy', 'aws_vpc.main', 'data.aws_ami.ubuntu']) {
      assert.deepEqual(changeAt(facts, address).changed_attributes, [], address)
    }
  })

  it('lists the distinct types of everything the plan does something to, no-ops left out', () => {
    assert.deepEqual(facts.types, ['aws_ami', 'aws_instance', 'aws_db_instance', 'aws_lb_target_group'])
  })

  it('says it destroys when anything is deleted or replaced', () => {
    assert.equal(facts.destroys_any, true)
    assert.equal(analyzeChanges({ type: 'aws_instance', actions: ['create', 'delete'] }).facts.destroys_any, true)
    assert.equal(analyzeChanges({ type: 'aws_instance', actions: ['delete'] }).facts.destroys_any, true)
    assert.equal(analyzeChanges({ type: 'aws_instance', actions: ['create'] }, { type: 'aws_vpc', actions: ['update'] }).facts.destroys_any, false)
  })

  it('summarizes like terraform plan, replacements apart', () => {
    assert.equal(summary, 'Plan: 1 to add, 1 to change, 1 to destroy, 2 to replace.')
  })

  it('highlights destruction first, data stores before the rest, then what each update changes', () => {
    assert.deepEqual(highlights, [
      'destroys aws_db_instance.legacy (data store)',
      'replaces aws_instance.app (ami forces replacement)',
      'replaces aws_lb_target_group.blue (port forces replacement)',
      'updates aws_instance.web: instance_type, tags, tags_all',
    ])
  })

  it('says so when nothing changes', () => {
    const { facts: quiet, summary: line, highlights: points } = analyzeFixture('no-changes')
    assert.equal(line, 'No changes.')
    assert.deepEqual(points, [])
    assert.equal(quiet.no_ops, 2)
    assert.deepEqual(quiet.types, [])
    assert.equal(quiet.destroys_any, false)
  })
})

describe('terraform data sources', () => {
  it('counts a data source as a read and never as destructive, whatever its actions say', () => {
    const { facts } = analyzeChanges({ type: 'aws_db_instance', mode: 'data', actions: ['delete'], after: null })
    assert.equal(facts.reads, 1)
    assert.equal(facts.deletes, 0)
    assert.equal(facts.destroys_any, false)
    assert.deepEqual(facts.data_stores, [])
    assert.equal(facts.resource_changes[0]?.destroy, false)
    assert.deepEqual(facts.resource_changes[0]?.actions, ['delete'])
  })

  it('never counts a data source as an IAM change or public exposure', () => {
    const { facts } = analyzeChanges(
      { type: 'aws_iam_policy_document', mode: 'data', actions: ['read'] },
      { type: 'google_storage_bucket_iam_member', mode: 'data', actions: ['read'], after: { member: 'allUsers', role: 'roles/storage.objectViewer' } },
    )
    assert.deepEqual(facts.iam_changes, [])
    assert.deepEqual(facts.public_exposure, [])
  })
})

describe('terraform lifecycle edge cases', () => {
  const { facts, summary, highlights } = analyzeFixture('lifecycle-edge-cases')

  it('counts a forget apart, as neither a destroy nor a change', () => {
    assert.equal(facts.forgets, 1)
    assert.deepEqual([changeAt(facts, 'aws_instance.bastion').destroy, changeAt(facts, 'aws_instance.bastion').replace], [false, false])
  })

  it('counts a create-then-forget as a replacement that destroys nothing', () => {
    const change = changeAt(facts, 'aws_instance.legacy_batch')
    assert.deepEqual([change.replace, change.destroy], [true, false])
  })

  it('treats unrecognized actions as destructive (fail closed)', () => {
    const change = changeAt(facts, 'aws_rds_cluster.analytics')
    assert.equal(change.destroy, true)
    assert.ok(facts.data_stores.includes('aws_rds_cluster.analytics'))
    assert.ok(highlights.includes('unrecognized actions [delete, forget] on aws_rds_cluster.analytics (treated as destructive)'))
  })

  it('lists the provider actions the apply invokes', () => {
    assert.deepEqual(facts.action_invocations, ['action.aws_lambda_invoke.notify'])
  })

  it('summarizes forgets, unrecognized actions and provider actions', () => {
    assert.equal(summary, 'Plan: 0 to add, 0 to change, 1 to destroy, 3 to replace, 1 to forget, 1 with unrecognized actions. Actions: 1 to invoke.')
  })

  it('explains each replacement and names deposed objects', () => {
    assert.deepEqual(highlights, [
      'the plan is incomplete: more changes are left for a later plan',
      'destroys aws_rds_cluster.analytics (data store)',
      'unrecognized actions [delete, forget] on aws_rds_cluster.analytics (treated as destructive)',
      'destroys a deposed object of aws_instance.api',
      'replaces aws_instance.queue_worker (tainted)',
      'replaces aws_instance.cache_warmer (replacement requested)',
      'replaces aws_instance.legacy_batch (the old object is only forgotten, not destroyed; ami forces replacement)',
      'invokes provider actions: action.aws_lambda_invoke.notify',
      'stops managing (removes from state, leaves running): aws_instance.bastion',
    ])
  })

  it('warns that an errored plan cannot be applied as shown', () => {
    const plan = { ...planOf({ type: 'aws_instance', actions: ['create'] }), errored: true, applyable: false }
    assert.equal(terraform.analyze({ plan }).highlights[0], 'planning errored: this plan is incomplete and cannot be applied as shown')
  })
})

describe('terraform parse errors', () => {
  const valid = fixture('all-actions')
  const firstChange = (valid.resource_changes as Record<string, unknown>[])[0] as Record<string, unknown>
  // [what, plan, error pattern]
  const CASES: ReadonlyArray<readonly [string, Record<string, unknown>, RegExp]> = [
    ['a state file', fixture('state-not-plan'), /this is a Terraform state, not a plan/],
    ['no format_version', { resource_changes: [] }, /no format_version/],
    ['a format_version of another major', { ...valid, format_version: '2.0' }, /unsupported format_version "2\.0"/],
    ['a 0.x format_version no Terraform wrote', { ...valid, format_version: '0.3' }, /unsupported format_version "0\.3"/],
    ['a 1.x format_version with a patch part', { ...valid, format_version: '1.2.3' }, /unsupported format_version/],
    ['a format_version that is not a version', { ...valid, format_version: 'latest' }, /unsupported format_version/],
    ['neither resource_changes nor planned_values', { format_version: '1.2', configuration: {} }, /no resource_changes and no planned_values/],
    ['planned_values that is not an object', { format_version: '1.2', planned_values: [] }, /no resource_changes and no planned_values/],
    ['resource_changes that is not a list', { ...valid, resource_changes: { 'aws_instance.web': {} } }, /resource_changes is not a list/],
    ['a resource change that is not an object', { ...valid, resource_changes: ['aws_instance.web'] }, /resource_changes\[0\]: not an object/],
    ['a resource change without an address', { ...valid, resource_changes: [{ ...firstChange, address: '' }] }, /resource_changes\[0\]: no address/],
    ['a resource change without a type', { ...valid, resource_changes: [{ ...firstChange, type: 7 }] }, /no type/],
    ['a resource change without a mode', { ...valid, resource_changes: [{ ...firstChange, mode: undefined }] }, /no mode/],
    ['a resource change without a change', { ...valid, resource_changes: [{ ...firstChange, change: null }] }, /no change/],
    ['a change with no actions', { ...valid, resource_changes: [resourceChange({ type: 'aws_instance', actions: [] })] }, /change\.actions is not a list of actions/],
    ['a change with a non-string action', { ...valid, resource_changes: [resourceChange({ type: 'aws_instance', actions: ['delete', 1] as never })] }, /change\.actions/],
    ['action_invocations that is not a list', { ...valid, action_invocations: {} }, /action_invocations is not a list/],
    ['an action invocation without an address', { ...valid, action_invocations: [{ type: 'aws_lambda_invoke' }] }, /action_invocations\[0\]: no address/],
  ]
  for (const [what, plan, error] of CASES) {
    it(`refuses ${what}: parse_error set, every list empty, destroys_any true`, () => {
      const { facts, summary, highlights } = terraform.analyze({ plan })
      assert.match(facts.parse_error, error)
      assertUnreadable(facts)
      assert.match(summary, /^unreadable Terraform plan: /)
      assert.deepEqual(highlights, [`not a readable Terraform plan: ${facts.parse_error}`])
    })
  }

  it('accepts any 1.x format_version (a minor version adds only fields)', () => {
    assert.equal(terraform.analyze({ plan: { ...valid, format_version: '1.9' } }).facts.parse_error, '')
    assert.equal(terraform.analyze({ plan: { ...valid, format_version: '1.0' } }).facts.parse_error, '')
  })

  it('refuses a payload without a plan', () => {
    assertUnreadable(terraform.analyze({}).facts)
  })

  it('caps the length of a parse error that quotes a long address', () => {
    const plan = { ...valid, resource_changes: [{ ...firstChange, address: 'x'.repeat(10_000), type: null }] }
    assert.ok(terraform.analyze({ plan }).facts.parse_error.length <= 300)
  })

  it('never throws and fails closed on any JSON as the plan', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const { facts } = terraform.analyze({ plan: value as Record<string, unknown> })
        assert.equal(typeof facts.parse_error, 'string')
        if (facts.parse_error !== '') assertUnreadable(facts)
      }),
    )
  })
})

describe('terraform analysis of arbitrary resource changes', () => {
  const actions = fc.array(fc.constantFrom('create', 'update', 'delete', 'no-op', 'read', 'forget', 'open', ''), { minLength: 1, maxLength: 3 })
  const change = fc.record({
    address: fc.string({ minLength: 1 }),
    type: fc.oneof(fc.constantFrom('aws_security_group', 'aws_db_instance', 'aws_iam_role', 'google_compute_firewall', 'aws_s3_bucket', 'azurerm_network_security_group'), fc.string({ minLength: 1 })),
    mode: fc.constantFrom('managed', 'data'),
    provider_name: fc.string(),
    change: fc.record({
      actions,
      before: fc.jsonValue(),
      after: fc.jsonValue(),
      after_unknown: fc.jsonValue(),
      before_sensitive: fc.jsonValue(),
      after_sensitive: fc.jsonValue(),
      replace_paths: fc.jsonValue(),
    }),
  })

  it('never throws, and calls every managed change whose actions include delete destructive', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 6 }), (changes) => {
        const { facts } = terraform.analyze({ plan: { format_version: '1.2', resource_changes: changes } })
        assert.equal(facts.parse_error, '')
        changes.forEach((item, index) => {
          const destroys = item.mode === 'managed' && item.change.actions.includes('delete')
          if (destroys) assert.equal(facts.resource_changes[index]?.destroy, true)
        })
        assert.equal(facts.destroys_any, facts.resource_changes.some((c) => c.destroy || c.replace))
      }),
    )
  })
})

function assertUnreadable(facts: TerraformFacts): void {
  assert.notEqual(facts.parse_error, '')
  assert.equal(facts.destroys_any, true)
  for (const list of [facts.resource_changes, facts.types, facts.iam_changes, facts.data_stores, facts.public_exposure, facts.action_invocations]) {
    assert.deepEqual(list, [])
  }
  assert.deepEqual([facts.creates, facts.updates, facts.deletes, facts.replaces, facts.no_ops, facts.reads, facts.forgets], [0, 0, 0, 0, 0, 0, 0])
}
