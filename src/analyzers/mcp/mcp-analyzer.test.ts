import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ToolHints } from './mcp-analyzer.js'
import { mcpAnalyzer } from './mcp-analyzer.js'

/** Annotations as Countersign listed them, per target. */
const catalog = (listed: Record<string, Record<string, ToolHints>>) => ({ annotations: (target: string, tool: string) => listed[target]?.[tool] })
const call = (tool: string, args: Record<string, unknown> = {}, server = 'github') => ({ server, tool, arguments: args })

describe('mcp analyzer', () => {
  const analyzer = mcpAnalyzer(
    catalog({
      github: { get_file: { readOnlyHint: true }, delete_repo: { destructiveHint: true }, add_label: { destructiveHint: false, idempotentHint: true, openWorldHint: false }, plain: {} },
      sandbox: { delete_repo: { readOnlyHint: true } },
    }),
  )

  it("takes the tool's annotations from the catalog of the action's target", () => {
    assert.deepEqual(analyzer.analyze(call('get_file', { path: 'README.md' }), { target: 'github' }).facts, {
      server: 'github',
      tool: 'get_file',
      arguments: { path: 'README.md' },
      read_only: true,
      destructive: false,
      idempotent: true,
      open_world: true,
    })
    const label = analyzer.analyze(call('add_label'), { target: 'github' }).facts
    assert.deepEqual([label.read_only, label.destructive, label.idempotent, label.open_world], [false, false, true, false])
  })

  it('gives hints left out the MCP defaults: not read-only, destructive, not idempotent, open world', () => {
    const plain = analyzer.analyze(call('plain'), { target: 'github' })
    assert.deepEqual([plain.facts.read_only, plain.facts.destructive, plain.facts.idempotent, plain.facts.open_world], [false, true, false, true])
    assert.deepEqual(plain.highlights, ['github does not declare plain read-only or non-destructive, so it counts as destructive'])
  })

  it('counts a tool it has not listed, or any tool without a target, as destructive', () => {
    for (const analysis of [analyzer.analyze(call('unknown_tool'), { target: 'github' }), analyzer.analyze(call('get_file')), mcpAnalyzer().analyze(call('get_file'), { target: 'github' })]) {
      assert.equal(analysis.facts.read_only, false)
      assert.equal(analysis.facts.destructive, true)
      assert.match(analysis.highlights[0]!, /annotations of .* are unknown/)
    }
  })

  it("reads the annotations where the action runs, whatever server the payload names", () => {
    // The payload's server is the agent's word; the target is where Countersign runs the call.
    assert.equal(analyzer.analyze(call('delete_repo', {}, 'sandbox'), { target: 'github' }).facts.destructive, true)
    assert.equal(analyzer.analyze(call('delete_repo', {}, 'github'), { target: 'sandbox' }).facts.read_only, true)
  })
})
