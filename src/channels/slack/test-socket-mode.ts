import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/**
 * FOR TESTS ONLY. Slack's side of a Socket Mode connection, on the stand-in's HTTP server: the
 * WebSocket handshake (RFC 6455, no extensions), the `hello` message, envelopes carrying
 * payloads, the client's acknowledgements, and pongs for its pings.
 */
export class SocketModeLink {
  readonly #sockets = new Set<Duplex>()
  readonly #acks = new Map<string, (ack: Record<string, unknown>) => void>()
  #connected: () => void = () => {}
  /** Resolves once a client has connected and been greeted. */
  readonly connected = new Promise<void>((resolve) => (this.#connected = resolve))

  /** Takes an `upgrade` request of the stand-in's server. */
  upgrade(request: IncomingMessage, socket: Duplex): void {
    const accept = createHash('sha1').update(`${request.headers['sec-websocket-key']}${WEBSOCKET_GUID}`).digest('base64')
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
    this.#sockets.add(socket)
    let buffered: Buffer = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => (buffered = this.#read(socket, Buffer.concat([buffered, chunk]))))
    socket.on('close', () => this.#sockets.delete(socket))
    socket.on('error', () => this.#sockets.delete(socket))
    this.#write(socket, 0x1, Buffer.from(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'stand-in' }, connection_info: { app_id: 'A0COUNTERSIGN' } })))
    this.#connected()
  }

  /** Sends a payload in an envelope, as Slack does; resolves with the client's acknowledgement. */
  deliver(payload: Record<string, unknown>, type = 'interactive'): Promise<Record<string, unknown>> {
    const [socket] = this.#sockets
    if (!socket) throw new Error('no Socket Mode client is connected')
    const envelopeId = randomBytes(8).toString('hex')
    const acked = new Promise<Record<string, unknown>>((resolve) => this.#acks.set(envelopeId, resolve))
    this.#write(socket, 0x1, Buffer.from(JSON.stringify({ envelope_id: envelopeId, payload, type, accepts_response_payload: true })))
    return acked
  }

  close(): void {
    for (const socket of this.#sockets) socket.destroy()
  }

  /** Handles every whole frame in `buffer`; returns what is left of it. */
  #read(socket: Duplex, buffer: Buffer): Buffer {
    for (;;) {
      if (buffer.length < 2) return buffer
      const opcode = buffer[0]! & 0x0f
      const masked = (buffer[1]! & 0x80) !== 0
      let length = buffer[1]! & 0x7f
      let offset = 2
      if (length === 126) {
        if (buffer.length < 4) return buffer
        length = buffer.readUInt16BE(2)
        offset = 4
      } else if (length === 127) {
        if (buffer.length < 10) return buffer
        length = Number(buffer.readBigUInt64BE(2))
        offset = 10
      }
      const mask = masked ? buffer.subarray(offset, offset + 4) : undefined
      if (mask) offset += 4
      if (buffer.length < offset + length) return buffer
      const payload = Buffer.from(buffer.subarray(offset, offset + length))
      if (mask) for (let index = 0; index < payload.length; index++) payload[index]! ^= mask[index % 4]!
      buffer = buffer.subarray(offset + length)
      if (opcode === 0x1) {
        const message = JSON.parse(payload.toString('utf8')) as Record<string, unknown>
        this.#acks.get(String(message['envelope_id']))?.(message)
      } else if (opcode === 0x9) this.#write(socket, 0xa, payload)
      else if (opcode === 0x8) {
        this.#write(socket, 0x8, payload)
        socket.end()
      }
    }
  }

  #write(socket: Duplex, opcode: number, payload: Buffer): void {
    const length = payload.length
    const head = length < 126 ? Buffer.from([0x80 | opcode, length]) : Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
    if (length >= 65_536) throw new Error('the stand-in sends frames under 64 KiB only')
    socket.write(Buffer.concat([head, payload]))
  }
}
