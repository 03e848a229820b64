import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { analyzePlan } from './analyze-plan.js'
import { analyzeChanges, analyzeFixture, changeAt, planOf } from './test-plans.js'

describe('terraform sensitive values', () => {
  const analysis = analyzeFixture('sensitive')
  const shown = JSON.stringify(analysis)

  it('never shows a sensitive value in the facts, summary or highlights', () => {
    for (const secret of ['Tr0ub4dor', 'correct-horse', 'sk_live_', 'hunter2', '0.0.0.0/0']) assert.ok(!shown.includes(secret), secret)
  })

  it('names the attributes a change touches, sensitive ones included, without their values', () => {
    assert.deepEqual(changeAt(analysis.facts, 'aws_db_instance.billing').changed_attributes, ['instance_class', 'password'])
    assert.deepEqual(changeAt(analysis.facts, 'aws_ssm_parameter.stripe_key').changed_attributes, ['value'])
    assert.ok(analysis.highlights.includes('updates aws_db_instance.billing: instance_class, password'))
    assert.ok(analysis.highlights.includes('replaces aws_secretsmanager_secret_version.db (secret_string forces replacement)'))
  })

  it('masks a sensitive source range as Terraform does', () => {
    assert.ok(analysis.highlights.includes('opens aws_security_group_rule.partner to (sensitive value)'))
    assert.deepEqual(analysis.facts.public_exposure, ['aws_security_group_rule.partner'])
  })

  it('masks any other sensitive value a highlight would quote', () => {
    const { highlights } = analyzeChanges({ type: 'aws_s3_object', actions: ['create'], after: { acl: 'public-read' }, after_sensitive: { acl: true } })
    assert.ok(highlights.includes('makes aws_s3_object.this public (acl (sensitive value))'))
  })

  it('counts an attribute whose sensitivity alone changes as changed', () => {
    const { facts } = analyzeChanges({
      type: 'aws_ssm_parameter',
      actions: ['update'],
      before: { name: '/app/token', value: 'v1' },
      after: { name: '/app/token', value: 'v1' },
      before_sensitive: {},
      after_sensitive: { value: true },
    })
    assert.deepEqual(facts.resource_changes[0]?.changed_attributes, ['value'])
  })

  it('counts every attribute as changed when the whole object is known only after apply', () => {
    const { facts } = analyzeChanges({ type: 'null_resource', actions: ['update'], before: { id: '1', triggers: {} }, after: { id: '1', triggers: {} }, after_unknown: true })
    assert.deepEqual(facts.resource_changes[0]?.changed_attributes, ['id', 'triggers'])
  })
})

describe('terraform summary and highlights', () => {
  it('escapes control and direction characters in addresses', () => {
    const plan = planOf({ type: 'aws_instance', actions: ['delete'] })
    const change = (plan.resource_changes as Record<string, unknown>[])[0] as Record<string, unknown>
    change.address = 'aws_instance.web["a\nupdates nothing\u202e"]'
    const { highlights, facts } = analyzePlan(plan)
    assert.equal(highlights[0], 'destroys aws_instance.web["a\\nupdates nothing\\u202e"]')
    assert.equal(facts.resource_changes[0]?.address, 'aws_instance.web["a\nupdates nothing\u202e"]')
  })

  it('shortens very long addresses in sentences but not in facts', () => {
    const plan = planOf({ type: 'aws_instance', actions: ['delete'] })
    const change = (plan.resource_changes as Record<string, unknown>[])[0] as Record<string, unknown>
    change.address = `aws_instance.web["${'k'.repeat(500)}"]`
    const { highlights, facts } = analyzePlan(plan)
    assert.ok((highlights[0] ?? '').length < 140)
    assert.ok((highlights[0] ?? '').endsWith('…'))
    assert.equal(facts.resource_changes[0]?.address, change.address)
  })

  it('names five resources per group and counts the rest', () => {
    const updates = Array.from({ length: 7 }, (_, index) => ({ type: 'aws_instance', name: `u${index}`, actions: ['update'], before: { tags: {} }, after: { tags: { n: String(index) } } }))
    const { highlights } = analyzeChanges(...updates)
    assert.deepEqual(highlights, [
      'updates aws_instance.u0: tags',
      'updates aws_instance.u1: tags',
      'updates aws_instance.u2: tags',
      'updates aws_instance.u3: tags',
      'updates aws_instance.u4: tags',
      'updates 2 more resources',
    ])
  })

  it('lists at most eight changed attributes of an update', () => {
    const before = Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`a${index}`, 0]))
    const after = Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`a${index}`, 1]))
    const { highlights } = analyzeChanges({ type: 'aws_instance', actions: ['update'], before, after })
    assert.deepEqual(highlights, ['updates aws_instance.this: a0, a1, a2, a3, a4, a5, a6, a7, +2 more'])
  })

  it('keeps IAM and exposure in view when many resources are destroyed', () => {
    const deletes = Array.from({ length: 40 }, (_, index) => ({ type: 'aws_instance', name: `d${index}`, actions: ['delete'] }))
    const { highlights } = analyzeChanges(...deletes, { type: 'aws_iam_role', actions: ['create'] })
    assert.equal(highlights[5], 'destroys 35 more resources')
    assert.equal(highlights[6], 'changes IAM: aws_iam_role.this')
  })

  it('says No changes. when the plan only reads data sources', () => {
    assert.equal(analyzeChanges({ type: 'aws_ami', mode: 'data', actions: ['read'] }).summary, 'No changes.')
  })
})
