/**
 * Many agents waiting on their actions at once, run as its own process by bench/capacity.ts: one
 * waiter per action id, alternately a long-poll (`GET /v1/actions/ID?wait=25`, asked again when it
 * returns undecided) and an SSE stream (`GET /v1/actions/ID/events`). Reads the ids, one per line,
 * from stdin; prints `{"woken":ID,"at":MS}` when an action is seen approved (`at`: epoch ms with
 * sub-millisecond precision, comparable across processes on one machine) and `{"sent":N}` once every
 * waiter's first request is out.
 *
 *   node --import tsx bench/lib/waiting-agents.ts '{"url":"http://127.0.0.1:8470","token":"cs_agent_…"}' < ids.txt
 */
import { Agent, request } from 'node:http'
import { createInterface } from 'node:readline'

const { url, token } = JSON.parse(process.argv[2]!) as { url: string; token: string }
const base = new URL(url)
const agent = new Agent({ keepAlive: true, maxSockets: Infinity })
const headers = { authorization: `Bearer ${token}` }
const now = () => performance.timeOrigin + performance.now()
const woken = (id: string) => process.stdout.write(`${JSON.stringify({ woken: id, at: now() })}\n`)

function get(path: string, onResponse: (status: number, body: NodeJS.ReadableStream) => void, onError: () => void): void {
  const req = request({ host: base.hostname, port: base.port, path, headers, agent }, (res) => onResponse(res.statusCode ?? 0, res))
  req.on('error', onError)
  req.end()
}

function longPoll(id: string): void {
  get(`/v1/actions/${id}?wait=25`, (status, res) => {
    let text = ''
    res.on('data', (chunk: Buffer) => (text += chunk.toString()))
    res.on('end', () => {
      if (status === 200 && (JSON.parse(text) as { status: string }).status === 'approved') woken(id)
      else setImmediate(() => longPoll(id))
    })
  }, () => setTimeout(() => longPoll(id), 100))
}

function stream(id: string): void {
  get(`/v1/actions/${id}/events`, (_status, res) => {
    let buffered = ''
    let done = false
    res.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      let end: number
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const message = buffered.slice(0, end)
        buffered = buffered.slice(end + 2)
        if (!done && message.startsWith('event: action') && message.includes('"status":"approved"')) {
          done = true
          woken(id)
        }
      }
    })
    res.on('end', () => done || setImmediate(() => stream(id)))
  }, () => setTimeout(() => stream(id), 100))
}

// Connections are opened 100 at a time, 20 ms apart (10,000 in about 2 s): ten thousand SYNs at once
// overflow the listen backlog (the kernel logs "possible SYN flooding"), which no real fleet does.
let count = 0
for await (const line of createInterface({ input: process.stdin })) {
  if (!line) continue
  ;(count++ % 2 === 0 ? longPoll : stream)(line)
  if (count % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 20))
}
process.stdout.write(`${JSON.stringify({ sent: count })}\n`)
