import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'

/** How much of an upstream process's stderr is kept to explain a failure. */
const STDERR_TAIL = 4096

/** What a session needs to open a connection: a fresh transport each time, and its stderr when it has one. */
export interface UpstreamTransport {
  readonly transport: Transport
  /** The process's stderr (stdio upstreams), read to explain why it went away. */
  readonly stderr?: NodeJS.ReadableStream | null | undefined
}

/**
 * One MCP client session with an upstream, opened on first use and opened again after it broke:
 * a crashed server process or a closed connection makes the next use reconnect. Requests in
 * flight when it breaks fail; nothing is re-sent here (a tool call may have run).
 */
export class UpstreamSession {
  readonly #open: () => UpstreamTransport
  readonly #timeoutMs: number
  readonly #onToolsChanged: () => void
  #client: Promise<Client> | undefined
  /** The connected client behind `#client`, once connected. */
  #active: Client | undefined
  /** Bumped by each reset: a connection that finishes opening after one is closed, not used. */
  #generation = 0
  #stderr = ''
  #closed = false

  constructor(open: () => UpstreamTransport, options: { readonly timeoutMs: number; readonly onToolsChanged: () => void }) {
    this.#open = open
    this.#timeoutMs = options.timeoutMs
    this.#onToolsChanged = options.onToolsChanged
  }

  /** The connected client; connects (initialize handshake) when there is none. */
  client(): Promise<Client> {
    if (this.#closed) return Promise.reject(new Error('the connector was closed'))
    this.#client ??= this.#connect()
    return this.#client
  }

  /** The end of what the upstream process wrote to stderr (empty for HTTP upstreams). */
  get stderr(): string {
    return this.#stderr.trim()
  }

  async #connect(): Promise<Client> {
    const generation = this.#generation
    const { transport, stderr } = this.#open()
    this.#stderr = ''
    stderr?.on('data', (chunk: Buffer | string) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-STDERR_TAIL)
    })
    const client = new Client({ name: 'countersign', version: '0.1.0' }, { capabilities: {} })
    client.onclose = () => {
      // Only the current client: a late close of an old one must not drop its successor.
      if (this.#active !== client) return
      this.#active = undefined
      this.#client = undefined
    }
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.#onToolsChanged())
    try {
      await client.connect(transport, { timeout: this.#timeoutMs })
    } catch (error) {
      if (generation === this.#generation) this.#client = undefined
      await client.close().catch(() => {})
      throw error
    }
    if (generation !== this.#generation) {
      await client.close().catch(() => {})
      throw new Error(this.#closed ? 'the connector was closed' : 'the connection was reset while it opened')
    }
    this.#active = client
    return client
  }

  /** Drops the connection (after a transport failure); the next use opens a new one. */
  async reset(): Promise<void> {
    this.#generation++
    const current = this.#client
    this.#client = undefined
    this.#active = undefined
    const client = await current?.catch(() => undefined)
    await client?.close().catch(() => {})
  }

  /** Closes the connection for good (ends a stdio upstream's process). */
  async close(): Promise<void> {
    this.#closed = true
    await this.reset()
  }
}
