import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Analysis } from '../analyzers/index.js'
import { AnalysisCache, analysisKey } from './analysis-cache.js'

/** An analyze function that counts its calls and returns a fresh analysis each time. */
function counted() {
  const calls = { count: 0 }
  const analyze = (): Analysis => ({ summary: `analysis ${++calls.count}`, highlights: [], facts: { statements: [{ type: 'select' }] } }) as unknown as Analysis
  return { calls, analyze }
}

describe('the analysis cache', () => {
  it('analyzes a text once per dialect and hands out the same frozen analysis', () => {
    const cache = new AnalysisCache()
    const { calls, analyze } = counted()
    const first = cache.get('d1', '{}', { dialect: 'postgresql' }, analyze)
    const again = cache.get('d1', '{}', { dialect: 'postgresql' }, analyze)
    assert.equal(again, first)
    assert.equal(calls.count, 1)
    assert.ok(Object.isFrozen(first) && Object.isFrozen((first!.facts as { statements: object[] }).statements[0]))
    assert.throws(() => ((first as { summary: string }).summary = 'changed'))
    cache.get('d1', '{}', { dialect: 'mysql' }, analyze)
    cache.get('d2', '{}', { dialect: 'postgresql' }, analyze)
    assert.equal(calls.count, 3)
  })

  it('analyzes again with another catalog snapshot or other row estimates, never serving the old facts', () => {
    const cache = new AnalysisCache()
    const { calls, analyze } = counted()
    const catalog = { loadedAt: 1 }
    const refreshed = { loadedAt: 2 }
    const withCatalog = cache.get('d1', '{}', { dialect: 'postgresql', catalog, estimatedRows: [-1] }, analyze)
    assert.equal(cache.get('d1', '{}', { dialect: 'postgresql', catalog, estimatedRows: [-1] }, analyze), withCatalog)
    assert.notEqual(cache.get('d1', '{}', { dialect: 'postgresql', catalog: refreshed, estimatedRows: [-1] }, analyze), withCatalog)
    assert.notEqual(cache.get('d1', '{}', { dialect: 'postgresql', catalog, estimatedRows: [5000] }, analyze), withCatalog)
    assert.notEqual(cache.get('d1', '{}', { dialect: 'postgresql' }, analyze), withCatalog)
    assert.equal(calls.count, 4)
  })

  it('keeps at most 1000 analyses, dropping the least recently used, and never keeps a long text', () => {
    const cache = new AnalysisCache()
    const { calls, analyze } = counted()
    for (let n = 0; n <= 1000; n++) cache.get(`d${n}`, '{}', { dialect: 'postgresql' }, analyze)
    assert.equal(calls.count, 1001)
    // d0 was the least recently used when d1000 came in: it is analyzed again; d1000 is not.
    cache.get('d1000', '{}', { dialect: 'postgresql' }, analyze)
    assert.equal(calls.count, 1001)
    cache.get('d0', '{}', { dialect: 'postgresql' }, analyze)
    assert.equal(calls.count, 1002)
    const long = 'x'.repeat(17 * 1024)
    cache.get('long', long, { dialect: 'postgresql' }, analyze)
    cache.get('long', long, { dialect: 'postgresql' }, analyze)
    assert.equal(calls.count, 1004)
  })

  it('knows a SQL statement by its text and target, whatever its parameters; anything else by its digest', () => {
    const sql = (text: string, params?: string[], target = 'db') => ({ kind: 'sql', target, payload: params ? { sql: text, params } : { sql: text } })
    assert.equal(analysisKey(sql('SELECT $1', ['1']), 'd1'), analysisKey(sql('SELECT $1', ['2', 'x']), 'd2'))
    assert.notEqual(analysisKey(sql('SELECT $1', ['1']), 'd1'), analysisKey(sql('SELECT $2', ['1']), 'd1'))
    assert.notEqual(analysisKey(sql('SELECT $1', ['1']), 'd1'), analysisKey(sql('SELECT $1', ['1'], 'other-db'), 'd1'))
    assert.equal(analysisKey(sql('SELECT 1'), 'd3'), 'd3')
    assert.equal(analysisKey({ kind: 'shell', target: 'db', payload: { command: 'ls', params: [] } }, 'd4'), 'd4')
  })
})
