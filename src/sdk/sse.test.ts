import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseSse, type SseMessage } from './index.js'

/** A body delivered in exactly these chunks. */
function body(chunks: readonly (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
      controller.close()
    },
  })
}

async function collect(chunks: readonly (string | Uint8Array)[]): Promise<SseMessage[]> {
  const messages: SseMessage[] = []
  for await (const message of parseSse(body(chunks))) messages.push(message)
  return messages
}

describe('the SDK event-stream parser', () => {
  it('reads named events with ids, and data without a name as message', async () => {
    assert.deepEqual(await collect(['event: transition\nid: 7\ndata: {"a":1}\n\n', 'data: plain\n\n']), [
      { event: 'transition', data: '{"a":1}', id: '7' },
      { event: 'message', data: 'plain', id: '7' },
    ])
  })

  it('joins data lines, skips comments, and needs no space after the colon', async () => {
    assert.deepEqual(await collect([': keep-alive\n\n', 'event:action\ndata:line 1\ndata: line 2\n: in between\ndata\n\n']), [{ event: 'action', data: 'line 1\nline 2\n' }])
  })

  it('handles CRLF and CR line ends, also split across chunks, and a leading BOM', async () => {
    const messages = await collect(['\ufeffevent: a\r', '\ndata: 1\r', '\r', 'event: b\rdata: 2\r\r'])
    assert.deepEqual(messages, [
      { event: 'a', data: '1' },
      { event: 'b', data: '2' },
    ])
  })

  it('decodes UTF-8 split inside a character, and drops an unfinished event at the end', async () => {
    const bytes = new TextEncoder().encode('data: café 🔐\n\n')
    const messages = await collect([bytes.slice(0, 10), bytes.slice(10, 13), bytes.slice(13), 'data: never dispatched'])
    assert.deepEqual(messages, [{ event: 'message', data: 'café 🔐' }])
  })
})
