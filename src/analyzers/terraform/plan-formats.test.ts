import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { analyzeFixture, fixture } from './test-plans.js'
import { analyzePlan } from './analyze-plan.js'

describe('terraform plan formats 0.1 and 0.2', () => {
  it('reads a Terraform 0.12 plan (format 0.1: no sensitivity trees, short provider names)', () => {
    const { facts, summary } = analyzeFixture('format-0.1')
    assert.equal(facts.parse_error, '')
    assert.equal(facts.creates, 1)
    assert.equal(facts.deletes, 1)
    assert.equal(facts.destroys_any, true)
    assert.deepEqual(facts.data_stores, ['aws_db_instance.legacy'])
    assert.deepEqual(facts.public_exposure, ['aws_security_group.web'])
    assert.equal(facts.resource_changes[0]?.provider, 'aws')
    assert.match(summary, /^Plan: 1 to add, 0 to change, 1 to destroy/)
  })

  it('reads a Terraform 0.15 plan (format 0.2)', () => {
    const { facts } = analyzeFixture('format-0.2')
    assert.equal(facts.parse_error, '')
    assert.equal(facts.updates, 1)
    assert.equal(facts.replaces, 1)
    assert.deepEqual(facts.iam_changes, ['aws_iam_role.deploy'])
    assert.deepEqual(facts.resource_changes[0]?.changed_attributes, ['max_session_duration'])
  })

  it('still refuses formats no Terraform wrote', () => {
    for (const version of ['0.0', '0.3', '2.0', '1', '01.0']) {
      const { facts } = analyzePlan({ ...fixture('format-0.2'), format_version: version })
      assert.match(facts.parse_error, /unsupported format_version/, version)
      assert.equal(facts.destroys_any, true, version)
    }
  })
})

describe('terraform plans without resource changes', () => {
  for (const name of ['output-only', 'refresh-only']) {
    it(`reads a ${name} plan as changing no resource`, () => {
      const { facts, summary, highlights } = analyzeFixture(name)
      assert.equal(facts.parse_error, '')
      assert.deepEqual(facts.resource_changes, [])
      assert.equal(facts.destroys_any, false)
      assert.equal(facts.creates + facts.updates + facts.deletes + facts.replaces, 0)
      assert.deepEqual(facts.public_exposure, [])
      assert.equal(summary, 'No changes.')
      assert.deepEqual(highlights, [])
    })
  }

  it('reads an empty resource_changes list as no changes', () => {
    const { facts } = analyzePlan({ ...fixture('output-only'), resource_changes: [] })
    assert.equal(facts.parse_error, '')
    assert.equal(facts.destroys_any, false)
  })

  it('still refuses a state, which has values and no planned_values', () => {
    const { facts } = analyzeFixture('state-not-plan')
    assert.match(facts.parse_error, /Terraform state/)
    assert.equal(facts.destroys_any, true)
  })
})
