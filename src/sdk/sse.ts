/** One dispatched server-sent event. */
export interface SseMessage {
  /** `message` when the event named none. */
  readonly event: string
  readonly data: string
  readonly id?: string
}

/**
 * The events of a `text/event-stream` body, as the HTML standard's parser reads them: lines end
 * with CRLF, LF or CR; `:` lines are comments; `data` lines join with LF; an event is dispatched
 * at a blank line (one without data is not). `retry` is ignored: reconnecting is the caller's.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let buffer = ''
  let first = true
  let event = ''
  let data: string[] = []
  let id: string | undefined
  try {
    for (;;) {
      const { done, value } = await reader.read()
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true })
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1)
        first = false
      }
      let start = 0
      for (;;) {
        const end = lineEnd(buffer, start, done)
        if (end === undefined) break
        const line = buffer.slice(start, end.at)
        start = end.next
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), ...(id !== undefined && { id }) }
          event = ''
          data = []
          continue
        }
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        let value = colon === -1 ? '' : line.slice(colon + 1)
        if (value.startsWith(' ')) value = value.slice(1)
        if (field === 'event') event = value
        else if (field === 'data') data.push(value)
        else if (field === 'id' && !value.includes('\0')) id = value
      }
      buffer = buffer.slice(start)
      if (done) return
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
}

/** The next line end at or after `start`: where the line stops and the next begins. */
function lineEnd(buffer: string, start: number, done: boolean): { at: number; next: number } | undefined {
  for (let index = start; index < buffer.length; index++) {
    const char = buffer.charCodeAt(index)
    if (char === 0x0a) return { at: index, next: index + 1 }
    if (char === 0x0d) {
      // A CR at the end of a chunk may be the first half of a CRLF split across chunks.
      if (index + 1 === buffer.length && !done) return undefined
      return { at: index, next: buffer.charCodeAt(index + 1) === 0x0a ? index + 2 : index + 1 }
    }
  }
  return undefined
}
