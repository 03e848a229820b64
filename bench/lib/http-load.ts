/**
 * A lean HTTP/1.1 load generator, run as its own process by bench/gateway.ts: `connections`
 * keep-alive sockets each send one request, read its response (status line, headers,
 * Content-Length body), and send the next, for `seconds`. It prints one JSON line: requests per
 * second by status and latency percentiles. Lean on purpose: autocannon spends most of a core
 * parsing responses at a few thousand requests per second, and on two cores that core is taken
 * from the gateway and PostgreSQL under test.
 *
 *   node --import tsx bench/lib/http-load.ts '{"url":"http://127.0.0.1:8470/v1/actions","method":"POST","headers":{…},"body":"…","connections":32,"seconds":10}'
 */
import { connect, type Socket } from 'node:net'

interface LoadOptions {
  readonly url: string
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  readonly connections: number
  readonly seconds: number
}

/** What one run measured. */
export interface LoadResult {
  readonly seconds: number
  readonly ok: number
  readonly failed: number
  readonly p50: number
  readonly p99: number
}

const HEADER_END = Buffer.from('\r\n\r\n')

function run(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url)
  const body = options.body === undefined ? undefined : Buffer.from(options.body)
  const head = [`${options.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, 'connection: keep-alive', ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`)]
  if (body) head.push(`content-length: ${body.length}`)
  const request = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body ?? Buffer.alloc(0)])
  const latencies: number[] = []
  let ok = 0
  let failed = 0
  const started = performance.now()
  const end = started + options.seconds * 1000

  const connection = () =>
    new Promise<void>((resolve, reject) => {
      const socket: Socket = connect(Number(url.port), url.hostname)
      socket.setNoDelay(true)
      let buffer: Buffer = Buffer.alloc(0)
      let sentAt = 0
      const send = () => {
        if (performance.now() >= end) {
          socket.end()
          return resolve()
        }
        sentAt = performance.now()
        socket.write(request)
      }
      socket.on('connect', send)
      socket.on('error', reject)
      socket.on('data', (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
        for (;;) {
          const headerEnd = buffer.indexOf(HEADER_END)
          if (headerEnd === -1) return
          const headers = buffer.subarray(0, headerEnd).toString('latin1')
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0)
          const total = headerEnd + 4 + length
          if (buffer.length < total) return
          const status = Number(headers.slice(9, 12))
          if (status >= 200 && status < 300) ok++
          else failed++
          latencies.push(performance.now() - sentAt)
          buffer = buffer.subarray(total)
          send()
        }
      })
    })

  return Promise.all(Array.from({ length: options.connections }, connection)).then(() => {
    const seconds = (performance.now() - started) / 1000
    latencies.sort((a, b) => a - b)
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
    return { seconds, ok, failed, p50: at(0.5), p99: at(0.99) }
  })
}

if (process.argv[2]) console.log(JSON.stringify(await run(JSON.parse(process.argv[2]) as LoadOptions)))
