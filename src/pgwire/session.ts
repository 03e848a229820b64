import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import { TLSSocket, type SecureContext } from 'node:tls'
import pg from 'pg'
import type { Logger } from 'pino'
import { findReissuedAction, type ActionRecord } from '../store/index.js'
import { resolveSecret, type Directory, type TargetConfig } from '../config/index.js'
import { sqlOptionsSchema } from '../connectors/options.js'
import { CountersignError } from '../errors/index.js'
import type { Principal } from '../lifecycle/index.js'
import { consoleLink, waitingFor } from '../mcp/tool-results.js'
import { type ActionState, type Authenticator, type Gateway, type OutcomeReport } from '../service/index.js'
import { backend, BodyReader, CANCEL_REQUEST, FrameReader, GSSENC_REQUEST, ProtocolError, PROTOCOL_V3, SSL_REQUEST, startupParameters, type ColumnDescription, type ErrorFields } from './codec.js'
import { lexingSettingChange, splitStatements } from './statements.js'
import { binarySupported, binaryToText, BinaryFormatError, textToBinary } from './binary.js'
import { cancelOnTarget, describeOnTarget, runCopyIn, runSteps, type Description, type CopyIn, type PipelineResult, type ResultSink, type Step, type TargetError } from '../connectors/pg-pipeline.js'

/** What every session of one listener shares. */
export interface SessionOptions {
  /** The service, as the wire gateway submits to it (see `wireGateway`). */
  readonly gateway: Gateway
  /** The configuration's directory, where targets are seen with their connector. */
  readonly directory: Directory
  readonly authenticator: Authenticator
  /** Base of console links in notices. */
  readonly publicUrl: string
  readonly holdMs: number
  /** How long after its review a re-issued identical statement still finds its action (`mcp.reissue_window`). */
  readonly reissueWindowMs: number
  /** How often a held statement says it is still waiting (10 s). */
  readonly progressMs: number
  readonly tls?: SecureContext | undefined
  /** Takes one of the agent's session slots; returns its release, or `undefined` when the agent has none left. */
  readonly admit: (agent: string) => (() => void) | undefined
  /** Takes one of the agent's held-statement slots, as `admit`. */
  readonly hold: (agent: string) => (() => void) | undefined
  /** Closes a session whose client sent nothing this long. */
  readonly idleMs: number
  /** Longest statement text accepted. */
  readonly statementBytes: number
  /** `server.postgres.max_result`: the most a statement's result may weigh (it is held until its outcome is recorded). */
  readonly resultBytes: number
  /** Gives a session its BackendKeyData, under which a CancelRequest finds it; `release` forgets it. */
  readonly register: (session: PgSession) => { readonly pid: number; readonly secret: number; readonly release: () => void }
  /** A CancelRequest: cancels what the session with this key runs now, if there is one. */
  readonly cancel: (pid: number, secret: number) => void
  readonly logger?: Logger | undefined
}

type Agent = Extract<Principal, { type: 'agent' }>

/** A statement the client cannot run: an ErrorResponse with this SQLSTATE. */
class StatementError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly detail?: string,
    /** The target's own error, when it is one: its other fields go to the client as they came. */
    readonly target?: TargetError,
  ) {
    super(message)
  }
}

interface Prepared {
  readonly sql: string
  /** The parameter types the client declared (0 = unspecified). */
  readonly types: readonly number[]
  /** What the target said of it when it was first described (it is parsed there, never run for it). */
  description?: Description
}

interface Portal {
  readonly prepared: Prepared
  readonly params: readonly (string | null)[] | undefined
  /** The format of each result column (1: binary), when the client asked for any in binary; else all text. */
  readonly formats: readonly number[] | undefined
  /** Rows not yet sent (an Execute with a row limit was answered with PortalSuspended), and what ends them. */
  rest?: { readonly rows: Buffer[]; readonly tail: Buffer[] }
}

/** Queued messages for the client past this size are written without waiting for a Sync. */
const OUT_BYTES = 64 * 1024

// Every value as the exact text the target sent: what the client gets is what the server wrote.
const RAW_TEXT: pg.CustomTypesConfig = { getTypeParser: (() => (text: string) => text) as unknown as pg.CustomTypesConfig['getTypeParser'] }

/**
 * One client connection of the PostgreSQL wire gateway: protocol v3 startup (SSL negotiation,
 * cleartext password = agent token or workload JWT, database = a `postgres` target), then every
 * statement submitted as an action of kind `sql` and, when allowed or approved, run on this
 * session's own connection to the target with the connector's enforcement.
 */
export class PgSession {
  #socket: Socket
  readonly #options: SessionOptions
  readonly #reader = new FrameReader()
  #phase: 'startup' | 'password' | 'ready' | 'closed' = 'startup'
  #encrypted = false
  #parameters = new Map<string, string>()
  #agent: Agent | undefined
  #target: TargetConfig | undefined
  #client: pg.Client | undefined
  #txStatus: 'I' | 'T' | 'E' = 'I'
  #work: Promise<void> = Promise.resolve()
  #skipToSync = false
  readonly #prepared = new Map<string, Prepared>()
  readonly #portals = new Map<string, Portal>()
  readonly #abort = new AbortController()
  #release: (() => void) | undefined
  /** NoticeResponses the target sends while a statement runs, passed on with its result. */
  #notices: Buffer[] | undefined
  /** Cancels the statement in hand (a CancelRequest with this session's key). */
  #cancel: AbortController | undefined
  #onTarget = false
  #key: { readonly release: () => void } | undefined
  /** While a COPY FROM STDIN runs: where the client's CopyData/CopyDone/CopyFail go. */
  #copyIn: CopyIn | undefined
  /** A portal described by the client whose description goes with its Execute (see #describe). */
  #describeOwed: string | undefined
  /** Messages for the client not yet written (see #send), and their size. */
  #out: Buffer[] = []
  #outBytes = 0

  constructor(socket: Socket, options: SessionOptions) {
    this.#socket = socket
    this.#options = options
    this.#attach(socket)
    this.#awake()
  }

  #attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.#received(chunk))
    socket.on('error', () => this.close())
    socket.on('close', () => this.close())
  }

  /** Ends the session: the client socket and the target connection. */
  close(): void {
    if (this.#phase === 'closed') return
    this.#phase = 'closed'
    this.#abort.abort()
    clearTimeout(this.#idle)
    this.#release?.()
    this.#key?.release()
    this.#socket.destroy()
    // A result streaming to this client may have paused the target's connection: it must end too.
    ;(this.#client as unknown as { connection?: { stream?: Socket } } | undefined)?.connection?.stream?.resume()
    void this.#client?.end().catch(() => {})
  }

  /**
   * A CancelRequest for this session: a held statement stops holding (57014, as PostgreSQL's
   * cancel; its request stays open for review), a statement running on the target is cancelled there.
   */
  cancel(): void {
    this.#cancel?.abort()
    if (this.#onTarget && this.#client) void cancelOnTarget(this.#client)
  }

  #idle: NodeJS.Timeout | undefined
  #busy = false

  /** (Re)starts the idle timer: no message from the client for `idleMs`, and the session ends. */
  #awake(): void {
    clearTimeout(this.#idle)
    this.#idle = setTimeout(() => {
      // A statement in hand (held, or running on the target) is not idleness.
      if (this.#busy) return this.#awake()
      this.#sendNow(backend.error({ severity: 'FATAL', code: '57P05', message: `terminating connection due to idle-session timeout (${Math.round(this.#options.idleMs / 1000)} s without a message)` }))
      this.#socket.end()
      this.close()
    }, this.#options.idleMs)
    this.#idle.unref()
  }

  #received(chunk: Buffer): void {
    if (this.#phase === 'closed') return
    if (chunk.length > 0) this.#awake()
    try {
      this.#reader.push(chunk)
      for (let message = this.#reader.next(); message; message = this.#reader.next()) {
        const { type, body } = message
        // Copy-in data goes to the target as it comes (the statement that started it is still in hand).
        if (this.#copyIn && this.#copyInMessage(this.#copyIn, type, body)) continue
        // Messages are handled one after another, in order, however long a statement is held.
        this.#work = this.#work
          .then(() => {
            this.#busy = true
            return this.#handle(type, body)
          })
          .catch((error: unknown) => this.#fatal(error))
          .finally(() => {
            this.#busy = false
          })
        // What follows a startup packet is read once it is handled: after an SSLRequest it may be
        // another startup packet, or (with TLS) bytes of the encrypted stream, not of this one.
        if (type === '') {
          this.#work = this.#work.then(() => this.#received(Buffer.alloc(0)))
          break
        }
      }
    } catch (error) {
      this.#fatal(error)
    }
  }

  /** A message received in copy-in mode; `false` when it is not part of the copy (which then fails, as in PostgreSQL). */
  #copyInMessage(copy: CopyIn, type: string, body: Buffer): boolean {
    if (type === 'd') copy.data(body)
    else if (type === 'c') copy.done()
    else if (type === 'f') copy.fail(new BodyReader(body).cstring())
    else if (type === 'H' || type === 'S') return true
    else {
      copy.fail(`unexpected message type ${JSON.stringify(type)} during COPY from stdin`)
      this.#copyIn = undefined
      return false
    }
    if (type !== 'd') this.#copyIn = undefined
    return true
  }

  #fatal(error: unknown): void {
    if (this.#phase === 'closed') return
    const known = error instanceof ProtocolError || error instanceof StatementError
    if (!known) this.#options.logger?.error({ err: error }, 'postgres wire session failed')
    const code = error instanceof StatementError ? error.code : error instanceof ProtocolError ? '08P01' : 'XX000'
    const message = known ? (error as Error).message : 'internal error in the Countersign wire gateway'
    this.#sendNow(backend.error({ severity: 'FATAL', code, message }))
    this.#socket.end()
    this.close()
  }

  /**
   * Queues messages for the client. As PostgreSQL does, the server's answers wait until the client
   * asks for them (Sync, Flush), a ReadyForQuery ends a query, the client must act (a password, a
   * COPY), or a notice must reach it now (a held statement): an extended-query round trip is one
   * write instead of one per message. Past {@link OUT_BYTES} queued, they go at once.
   */
  #send(...messages: Buffer[]): void {
    if (this.#phase === 'closed') return
    for (const message of messages) {
      this.#out.push(message)
      this.#outBytes += message.length
    }
    if (this.#outBytes >= OUT_BYTES) this.#flush()
  }

  /** {@link #send}, then everything queued goes out. */
  #sendNow(...messages: Buffer[]): void {
    this.#send(...messages)
    this.#flush()
  }

  #flush(): void {
    if (this.#phase === 'closed' || this.#out.length === 0) return
    this.#socket.write(this.#out.length === 1 ? this.#out[0]! : Buffer.concat(this.#out, this.#outBytes))
    this.#out = []
    this.#outBytes = 0
  }

  async #handle(type: string, body: Buffer): Promise<void> {
    if (this.#phase === 'closed') return
    if (this.#phase === 'startup') return this.#startup(body)
    if (this.#phase === 'password') {
      if (type !== 'p') throw new ProtocolError('expected a password message')
      return this.#password(new BodyReader(body).cstring())
    }
    if (this.#skipToSync && type !== 'S' && type !== 'X') return
    // A Describe of a portal not followed by its Execute is answered on its own, before what follows.
    if (this.#describeOwed !== undefined && type !== 'E') {
      const portal = this.#portals.get(this.#describeOwed)
      this.#describeOwed = undefined
      if (portal) await this.#describeNow('P', portal.prepared, portal.formats)
      if (this.#skipToSync && type !== 'S' && type !== 'X') return
    }
    switch (type) {
      case 'Q':
        return this.#simpleQuery(new BodyReader(body).cstring())
      case 'P':
        return this.#parse(new BodyReader(body))
      case 'B':
        return this.#bind(new BodyReader(body))
      case 'D':
        return this.#describe(new BodyReader(body))
      case 'E':
        return this.#execute(new BodyReader(body))
      case 'C':
        return this.#closeObject(new BodyReader(body))
      case 'H':
        return this.#flush()
      case 'S':
        this.#skipToSync = false
        return this.#sendNow(backend.readyForQuery(this.#txStatus))
      case 'X':
        this.#socket.end()
        return this.close()
      default:
        throw new ProtocolError(`unsupported message type ${JSON.stringify(type)}`)
    }
  }

  async #startup(body: Buffer): Promise<void> {
    const code = body.readInt32BE(0)
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      if (this.#encrypted) throw new ProtocolError('SSL negotiation repeated')
      this.#reader.expectStartup()
      if (code === SSL_REQUEST && this.#options.tls) {
        this.#socket.write('S')
        this.#socket.removeAllListeners('data')
        const secure = new TLSSocket(this.#socket, { isServer: true, secureContext: this.#options.tls })
        this.#socket = secure
        this.#encrypted = true
        this.#attach(secure)
        return
      }
      this.#socket.write('N')
      return
    }
    if (code === CANCEL_REQUEST) {
      // As PostgreSQL: no answer; the connection is closed.
      if (body.length >= 12) this.#options.cancel(body.readInt32BE(4), body.readInt32BE(8))
      this.#socket.end()
      return this.close()
    }
    if (code !== PROTOCOL_V3) throw new ProtocolError(`unsupported frontend protocol ${code >> 16}.${code & 0xffff}: the gateway speaks 3.0`)
    this.#parameters = startupParameters(body)
    const database = this.#parameters.get('database') ?? this.#parameters.get('user') ?? ''
    const target = this.#options.directory.target(database)
    if (!target || target.connector?.type !== 'postgres') {
      const why = target?.connector?.type === 'pglite' ? `: target ${target.name} is an embedded PGlite database (one session, in the gateway's process); give it a postgres connector to reach it with a PostgreSQL client` : ''
      throw new StatementError('3D000', `database "${database}" is not a Countersign target with a postgres connector${why}`)
    }
    // The password is a bearer token: never in clear over the network.
    if (!this.#encrypted && !isLoopback(this.#socket.remoteAddress)) throw new StatementError('28000', 'a cleartext password is refused off loopback without TLS: configure server.postgres.tls and connect with sslmode=require')
    this.#target = target
    this.#phase = 'password'
    this.#sendNow(backend.authenticationCleartextPassword())
  }

  async #password(password: string): Promise<void> {
    let principal: Principal
    try {
      principal = await this.#options.authenticator.authenticate(password)
    } catch {
      throw new StatementError('28P01', `password authentication failed for user "${this.#parameters.get('user') ?? ''}": the password is an agent token or a workload JWT`)
    }
    if (principal.type !== 'agent') throw new StatementError('28000', 'the wire gateway is for agents: connect with an agent token or a workload JWT')
    const release = this.#options.admit(principal.id)
    if (!release) throw new StatementError('53300', `too many wire gateway sessions for agent ${principal.id}`)
    this.#release = release
    this.#agent = principal
    const options = sqlOptionsSchema('postgres').parse(this.#target!.connector)
    const client = new pg.Client({
      connectionString: resolveSecret(options.url),
      application_name: `countersign/${principal.id}`,
      // The analysis read the text with these settings; the target reads it the same way.
      options: '-c standard_conforming_strings=on -c backslash_quote=off',
      types: RAW_TEXT,
    })
    client.on('error', () => this.close())
    // LISTEN: the target's notifications go to the client as they come (asynchronous messages, allowed at any time).
    client.on('notification', (message) => this.#sendNow(backend.notification(message.processId, message.channel, message.payload ?? '')))
    client.on('notice', (notice) => {
      this.#notices?.push(backend.notice({ ...(notice as TargetError), severity: notice.severity === 'WARNING' ? 'WARNING' : 'NOTICE', code: notice.code ?? '00000', message: notice.message ?? '' }))
    })
    try {
      await client.connect()
    } catch {
      throw new StatementError('08006', `cannot connect to target ${this.#target!.name}`)
    }
    this.#client = client
    const connection = (client as unknown as { connection: { on(event: 'readyForQuery', listener: (message: { status: string }) => void): void } }).connection
    connection.on('readyForQuery', (message) => {
      this.#txStatus = message.status === 'T' ? 'T' : message.status === 'E' ? 'E' : 'I'
    })
    const settings = await client.query<{ server_version: string; timezone: string; datestyle: string; intervalstyle: string }>(
      `SELECT current_setting('server_version') AS server_version, current_setting('TimeZone') AS timezone, current_setting('DateStyle') AS datestyle, current_setting('IntervalStyle') AS intervalstyle`,
    )
    const row = settings.rows[0]!
    const key = this.#options.register(this)
    this.#key = key
    this.#phase = 'ready'
    this.#sendNow(
      backend.authenticationOk(),
      backend.parameterStatus('server_version', row.server_version),
      backend.parameterStatus('server_encoding', 'UTF8'),
      backend.parameterStatus('client_encoding', 'UTF8'),
      backend.parameterStatus('DateStyle', row.datestyle),
      backend.parameterStatus('IntervalStyle', row.intervalstyle),
      backend.parameterStatus('TimeZone', row.timezone),
      backend.parameterStatus('integer_datetimes', 'on'),
      backend.parameterStatus('standard_conforming_strings', 'on'),
      backend.parameterStatus('is_superuser', 'off'),
      backend.parameterStatus('session_authorization', principal.id),
      backend.parameterStatus('application_name', this.#parameters.get('application_name') ?? ''),
      backend.backendKeyData(key.pid, key.secret),
      backend.readyForQuery('I'),
    )
  }

  async #simpleQuery(sql: string): Promise<void> {
    const statements = splitStatements(sql)
    if (statements.length === 0) return this.#sendNow(backend.emptyQueryResponse(), backend.readyForQuery(this.#txStatus))
    try {
      for (const statement of statements) await this.#statement(statement, undefined, true)
    } catch (error) {
      this.#statementFailed(error)
    }
    this.#sendNow(backend.readyForQuery(this.#txStatus))
  }

  #statementFailed(error: unknown): void {
    if (!(error instanceof StatementError)) throw error
    // A statement refused inside a transaction aborts it, as an error in PostgreSQL does: what
    // the client commits is all it asked for or nothing.
    if (this.#txStatus === 'T') {
      this.#txStatus = 'E'
      void this.#client?.query(`DO $$ BEGIN RAISE EXCEPTION 'statement refused by Countersign'; END $$`).catch(() => {})
    }
    this.#send(backend.error({ ...error.target, severity: 'ERROR', code: error.code, message: error.message, detail: error.detail }))
  }

  #parse(reader: BodyReader): void {
    const name = reader.cstring()
    const sql = reader.cstring()
    const types = Array.from({ length: reader.int16() }, () => reader.int32())
    // As PostgreSQL: one statement per prepared statement. (Otherwise a text starting with BEGIN
    // or COMMIT would run unwrapped, and its other statements outside any READ ONLY transaction.)
    if (splitStatements(sql).length > 1) return this.#extendedFailed(new StatementError('42601', 'cannot insert multiple commands into a prepared statement'))
    if (name !== '' && this.#prepared.has(name)) return this.#extendedFailed(new StatementError('42P05', `prepared statement "${name}" already exists`))
    this.#prepared.set(name, { sql, types })
    this.#send(backend.parseComplete())
  }

  async #bind(reader: BodyReader): Promise<void> {
    const portal = reader.cstring()
    const name = reader.cstring()
    const formats = Array.from({ length: reader.int16() }, () => reader.int16())
    const count = reader.int16()
    const values: (Buffer | null)[] = []
    for (let i = 0; i < count; i++) {
      const length = reader.int32()
      values.push(length === -1 ? null : reader.bytes(length))
    }
    const resultFormats = Array.from({ length: reader.int16() }, () => reader.int16())
    const prepared = this.#prepared.get(name)
    if (!prepared) return this.#extendedFailed(new StatementError('26000', `prepared statement "${name}" does not exist`))
    if (formats.length > 1 && formats.length !== count) return this.#extendedFailed(new StatementError('08P01', `bind message has ${formats.length} parameter formats but ${count} parameters`))
    const bad = [...formats, ...resultFormats].find((format) => format !== 0 && format !== 1)
    if (bad !== undefined) return this.#extendedFailed(new StatementError('22023', `unsupported format code: ${bad}`))
    const binary = formats.includes(1) || resultFormats.includes(1)
    // Binary values are read and written by their types: the target's description of the statement.
    if (binary && !prepared.description) {
      const described = await describeOnTarget(this.#client!, { text: prepared.sql, types: prepared.types })
      if (!('params' in described)) return this.#extendedFailed(targetFailure(described))
      prepared.description = described
    }
    // Parameters are part of the action (and its digest) as text: a binary one is turned into the
    // text the target prints for it, and that text is what is decided, shown and run.
    const params: (string | null)[] = []
    for (const [index, value] of values.entries()) {
      const format = formats.length === 1 ? formats[0] : (formats[index] ?? 0)
      if (value === null || format === 0) {
        params.push(value && value.toString('utf8'))
        continue
      }
      const type = prepared.types[index] || (prepared.description?.params[index] ?? 0)
      if (!binarySupported(type)) return this.#extendedFailed(new StatementError('0A000', `parameter $${index + 1} is in binary format, of a type (oid ${type}) whose binary format the Countersign wire gateway does not read: send it in text format`))
      try {
        params.push(binaryToText(type, value))
      } catch (error) {
        return this.#extendedFailed(new StatementError('22P03', `incorrect binary data format in bind parameter ${index + 1}: ${(error as Error).message}`))
      }
    }
    let columnFormats: number[] | undefined
    if (resultFormats.includes(1)) {
      const fields = prepared.description?.fields ?? []
      if (resultFormats.length > 1 && resultFormats.length !== fields.length) return this.#extendedFailed(new StatementError('08P01', `bind message has ${resultFormats.length} result formats but query has ${fields.length} columns`))
      columnFormats = fields.map((_, index) => (resultFormats.length === 1 ? resultFormats[0]! : resultFormats[index]!))
      const unreadable = fields.find((field, index) => columnFormats![index] === 1 && !binarySupported(field.dataTypeID))
      if (unreadable) return this.#extendedFailed(new StatementError('0A000', `column "${unreadable.name}" is asked for in binary format, of a type (oid ${unreadable.dataTypeID}) the Countersign wire gateway does not write in binary: ask for it in text format`))
    }
    this.#portals.set(portal, { prepared, params: count > 0 ? params : undefined, formats: columnFormats })
    this.#send(backend.bindComplete())
  }

  /**
   * Describe: the target parses the statement and describes it (parameter types, row description),
   * nothing is run for it: drivers that describe before they bind (postgres.js, JDBC…) get the
   * target's own answer. A portal is described as its statement, with the result formats of its Bind.
   */
  async #describe(reader: BodyReader): Promise<void> {
    const kind = reader.byte()
    const name = reader.cstring()
    const prepared = kind === 'S' ? this.#prepared.get(name) : this.#portals.get(name)?.prepared
    if (!prepared) return this.#extendedFailed(kind === 'S' ? new StatementError('26000', `prepared statement "${name}" does not exist`) : new StatementError('34000', `portal "${name}" does not exist`))
    // Describe portal, then Execute of it (what drivers send together): the description comes
    // from the run, in the same round trip to the target, just before the rows: the same bytes.
    if (kind === 'P' && !prepared.description) {
      this.#describeOwed = name
      return
    }
    await this.#describeNow(kind, prepared, kind === 'P' ? this.#portals.get(name)?.formats : undefined)
  }

  /** Sends the description of a statement, or of a portal (whose columns come in `formats`). */
  async #describeNow(kind: string, prepared: Prepared, formats?: readonly number[]): Promise<void> {
    if (!prepared.description) {
      const described = await describeOnTarget(this.#client!, { text: prepared.sql, types: prepared.types })
      if (!('params' in described)) return this.#extendedFailed(targetFailure(described))
      prepared.description = described
    }
    const { params, fields } = prepared.description
    const rows = fields && fields.length > 0 ? backend.rowDescription(fields, formats) : backend.noData()
    if (kind === 'S') this.#send(backend.parameterDescription(params), rows)
    else this.#send(rows)
  }

  /**
   * Execute: the portal's statement is decided and run whole the first time; with a row limit,
   * its rows go out that many at a time (PortalSuspended between), as the client asks.
   */
  async #execute(reader: BodyReader): Promise<void> {
    const name = reader.cstring()
    const maxRows = reader.int32()
    const portal = this.#portals.get(name)
    if (!portal) return this.#extendedFailed(new StatementError('34000', `portal "${name}" does not exist`))
    if (portal.rest) return this.#sendRows(portal, portal.rest.rows, portal.rest.tail, maxRows)
    const owed = this.#describeOwed
    this.#describeOwed = undefined
    const describe = owed === name ? 'portal' : false
    const other = owed !== undefined && owed !== name ? this.#portals.get(owed) : undefined
    if (other) await this.#describeNow('P', other.prepared, other.formats)
    try {
      await this.#statement(portal.prepared.sql, portal.params, describe, { portal, maxRows }, portal.prepared.types)
    } catch (error) {
      this.#extendedFailed(error)
    }
  }

  /** Sends up to `maxRows` rows of a portal (all when 0); what is left waits for the next Execute. */
  #sendRows(portal: Portal | undefined, rows: Buffer[], tail: Buffer[], maxRows: number): void {
    if (portal && maxRows > 0 && rows.length > maxRows) {
      portal.rest = { rows: rows.slice(maxRows), tail }
      this.#send(...rows.slice(0, maxRows), backend.portalSuspended())
      return
    }
    if (portal) portal.rest = undefined
    this.#send(...rows, ...tail)
  }

  #closeObject(reader: BodyReader): void {
    const kind = reader.byte()
    const name = reader.cstring()
    if (kind === 'S') this.#prepared.delete(name)
    else this.#portals.delete(name)
    this.#send(backend.closeComplete())
  }

  /** An error in an extended-query sequence: reported, then everything up to Sync is skipped. */
  #extendedFailed(error: unknown): void {
    this.#statementFailed(error)
    this.#skipToSync = true
  }

  /** Submits one statement as an action, holds it while it is reviewed, and runs it when it may run. */
  async #statement(sql: string, params: readonly (string | null)[] | undefined, describe: Describe, into?: { portal: Portal; maxRows: number }, types?: readonly number[]): Promise<void> {
    const { gateway } = this.#options
    const agent = this.#agent!
    const target = this.#target!
    if (Buffer.byteLength(sql, 'utf8') > this.#options.statementBytes) throw new StatementError('54000', `statement too long: the Countersign wire gateway takes statements of at most ${this.#options.statementBytes} bytes`)
    const change = lexingSettingChange(sql)
    if (change) throw new StatementError('42501', `${change} is refused by the Countersign wire gateway: statements are analyzed with standard_conforming_strings=on and backslash_quote=off, and the target reads them with the same settings`)
    const action = { kind: 'sql', target: target.name, payload: params ? { sql, params } : { sql } }
    this.#cancel = new AbortController()
    // A statement the policy allows at once and judged read-only runs at once, in a READ ONLY
    // transaction (or read-only savepoint), and is recorded with its outcome in one write before
    // the client sees anything of it; everything else is recorded first.
    let ranAtOnce: Ran | undefined
    const runAllowed = (record: ActionRecord): Promise<OutcomeReport> | undefined => {
      if (!isReadOnly(record) || TRANSACTION_CONTROL.test(sql) || this.#txStatus === 'E') return undefined
      return this.#runOnTarget(record, sql, params, describe, [], types, into?.portal.formats).then((ran) => {
        ranAtOnce = ran
        return ran.outcome
      })
    }
    let state: ActionState
    try {
      state = await gateway.submit(agent, action, { channel: 'postgres', signal: this.#abort.signal, reuse: (digest) => this.#reissued(digest), runAllowed })
    } catch (error) {
      if (error instanceof CountersignError && error.code !== 'INTERNAL') throw new StatementError('42501', `Countersign refused the statement: ${error.message}`, error.details.map((d) => `${d.path}: ${d.message}`).join('; '))
      throw error
    }
    if (ranAtOnce) return this.#deliver(ranAtOnce, into)
    const { record } = state
    if (record.status === 'failed') throw new StatementError('XX000', `action ${record.id} failed: ${(record.result as { error?: string } | null)?.error ?? 'unknown error'}`)
    state = await this.#hold(state)
    const decision = state.record.decision as { messages?: readonly string[]; explanation?: string }
    const { status, id } = state.record
    if (status === 'denied') {
      const why = decision.messages?.length ? decision.messages.join('; ') : (decision.explanation ?? 'denied by policy')
      throw new StatementError('42501', `${why} (action ${id})`, decision.explanation)
    }
    if (status === 'pending') throw new StatementError('57014', `pending approval: ${id}`, `waiting for ${waitingFor(state)}; re-issue the same statement once it is approved: ${consoleLink(this.#options.publicUrl, id)}`)
    if (status !== 'allowed' && status !== 'approved') throw new StatementError('42501', `action ${id} is ${status}; it was not run`)
    await this.#run(state, sql, params, describe, into, types)
  }

  /**
   * The reviewed action an identical statement (same digest) of this agent submitted before and
   * that is still pending or approved: re-issuing a statement after its approval runs it, once.
   * Asked only for statements the policy does not allow at once.
   */
  async #reissued(digest: string): Promise<ActionState | undefined> {
    const { gateway, reissueWindowMs } = this.#options
    const endedSince = new Date(gateway.now().getTime() - reissueWindowMs)
    const earlier = await findReissuedAction(gateway.store.db, { agent: this.#agent!.id, digest, endedSince })
    if (!earlier) return undefined
    const state = await gateway.get(this.#agent!, earlier)
    return state.record.status === 'pending' || state.record.status === 'approved' ? state : undefined
  }

  /** Holds a pending statement up to `hold`, with a notice at once and every `progressMs`. */
  async #hold(first: ActionState): Promise<ActionState> {
    const { gateway, holdMs, progressMs, publicUrl } = this.#options
    let state = first
    if (state.record.status !== 'pending') return state
    const slot = this.#options.hold(this.#agent!.id)
    if (!slot) {
      const { id } = state.record
      this.#sendNow(backend.notice({ severity: 'NOTICE', code: '00000', message: `Countersign: statement needs approval by ${waitingFor(state)} (request ${id}), not held: this agent has too many statements held already: ${consoleLink(publicUrl, id)}` }))
      return state
    }
    try {
      return await this.#holding(state)
    } finally {
      slot()
    }
  }

  async #holding(first: ActionState): Promise<ActionState> {
    const { gateway, holdMs, progressMs, publicUrl } = this.#options
    let state = first
    const until = performance.now() + holdMs
    for (;;) {
      const { id } = state.record
      this.#sendNow(backend.notice({ severity: 'NOTICE', code: '00000', message: `Countersign: statement held for approval by ${waitingFor(state)} (request ${id}): ${consoleLink(publicUrl, id)}` }))
      const left = until - performance.now()
      if (left <= 0 || this.#abort.signal.aborted) return state
      const cancelled = this.#cancel?.signal
      state = await gateway.waitForChange(this.#agent!, id, 'pending', Math.min(left, progressMs), cancelled ? AbortSignal.any([this.#abort.signal, cancelled]) : this.#abort.signal)
      if (cancelled?.aborted) throw new StatementError('57014', `canceling statement due to user request (request ${id} stays open for review)`)
      if (state.record.status !== 'pending') return state
    }
  }

  /**
   * Runs an allowed or approved statement recorded before it runs: the action is redeemed
   * (allowed/approved → executing, once), run, and its outcome recorded before the client gets
   * its result.
   */
  async #run(state: ActionState, sql: string, params: readonly (string | null)[] | undefined, describe: Describe, into: { portal: Portal; maxRows: number } | undefined, types: readonly number[] | undefined): Promise<void> {
    const { gateway } = this.#options
    const agent = this.#agent!
    const { record, reviews } = state
    const claims = { iss: 'countersign-pgwire', sub: record.id, jti: `pgwire-${randomUUID()}`, iat: 0, exp: 0, digest: record.digest, target: record.target, kind: 'sql', agent: agent.id, status: record.status as 'allowed' | 'approved', approvers: [] }
    try {
      await gateway.redeemReceipt(agent, claims, { target: record.target, digest: record.digest }, 'postgres')
    } catch (error) {
      if (error instanceof CountersignError) throw new StatementError('42501', `action ${record.id} cannot run: ${error.message}`)
      throw error
    }
    const approvers = reviews.filter((review) => review.decision === 'approve').map((review) => review.reviewer.replace(/^human:/, ''))
    let ran: Ran
    try {
      // Recorded before it runs: its result goes to the client as it comes, unless a row limit cuts it.
      ran = await this.#runOnTarget(record, sql, params, describe, approvers, types, into?.portal.formats, !into || into.maxRows === 0)
    } catch (error) {
      await gateway.reportOutcome(agent, record.id, { status: 'failed', error: error instanceof Error ? error.message : String(error) }, 'postgres').catch(() => {})
      throw error
    }
    await gateway.reportOutcome(agent, record.id, ran.outcome, 'postgres')
    this.#deliver(ran, into)
  }

  /**
   * Runs a decided statement on this session's connection, in one round trip with its wrapping:
   * the identity settings in its transaction, a read-only-judged statement in a READ ONLY
   * transaction (or, inside the client's transaction, a savepoint made read-only and rolled back
   * to afterwards: a read-only statement has nothing to keep, and a write the analysis missed
   * fails there too). Transaction control runs as written. The result is held, not sent: the
   * caller records the outcome first.
   */
  async #runOnTarget(record: ActionRecord, sql: string, params: readonly (string | null)[] | undefined, describe: Describe, approvers: readonly string[], types?: readonly number[], formats?: readonly number[], streaming = false): Promise<Ran> {
    const client = this.#client!
    const agent = this.#agent!
    const readOnly = isReadOnly(record)
    const control = TRANSACTION_CONTROL.test(sql)
    const ownTransaction = this.#txStatus === 'I' && !control
    const readOnlySavepoint = readOnly && !control && this.#txStatus === 'T'
    const identity: Step = { text: IDENTITY_SQL, values: [record.id, agent.id, record.onBehalfOf ?? '', approvers.join(',')] }
    const streamed = streaming ? this.#streamer(describe, formats, client) : undefined
    // Binary columns are written by their types: the run describes them even when the client did not ask.
    const statement: Step = { text: sql, values: params, describe: describe !== false || formats !== undefined, types, sink: streamed?.sink }
    const steps: Step[] = control || this.#txStatus === 'E'
      ? [statement]
      : ownTransaction
        ? [{ text: readOnly ? 'BEGIN READ ONLY' : 'BEGIN' }, identity, statement, { text: 'COMMIT' }]
        : readOnlySavepoint
          ? [{ text: 'SAVEPOINT countersign_read_only' }, { text: 'SET TRANSACTION READ ONLY' }, identity, statement, { text: 'ROLLBACK TO SAVEPOINT countersign_read_only' }, { text: 'RELEASE SAVEPOINT countersign_read_only' }]
          : [identity, statement]
    const at = steps.indexOf(statement)
    this.#notices = []
    this.#onTarget = true
    // A result past max_result is cancelled on the target; the session goes on once the cancel has landed.
    let cancelled: Promise<void> | undefined
    const budget = { maxBytes: this.#options.resultBytes, exceeded: () => void (cancelled = cancelOnTarget(client)) }
    let ran: PipelineResult
    try {
      if (isCopyIn(record, sql)) {
        // COPY … FROM STDIN: the wrapping before it, the copy itself (the client's data flows to the
        // target as it comes), then the wrapping after it, each in its own round trip.
        const before = await runSteps(client, steps.slice(0, at))
        ran = before.error ? before : await runCopyIn(client, sql, (copy) => this.#startCopyIn(copy))
        this.#copyIn = undefined
        if (!ran.error && at < steps.length - 1) {
          const after = await runSteps(client, steps.slice(at + 1))
          ran = { results: [...ran.results, ...after.results], error: after.error }
        }
        ran = { results: [...steps.slice(0, at).map(() => ran.results[0]!), ...ran.results], error: ran.error }
      } else {
        ran = await runSteps(client, steps, streamed ? undefined : budget)
      }
      await cancelled
    } finally {
      this.#onTarget = false
    }
    const { results, error } = ran
    const notices = this.#notices
    this.#notices = undefined
    if (ran.exceeded) {
      if (ownTransaction && this.#txStatus !== 'I') await client.query('ROLLBACK').catch(() => {})
      const what = error ? 'it was cancelled on the target' : `it ran on the target (${results[at]?.tag ?? 'no command tag'}), but its result was not sent`
      const message = `the statement's result is larger than server.postgres.max_result (${this.#options.resultBytes} bytes): ${what}`
      return { head: notices, rows: [], tail: [], error: new StatementError('54000', message, 'fetch fewer rows (LIMIT, a narrower WHERE) or raise server.postgres.max_result'), outcome: { status: 'failed', output: '', error: message } }
    }
    if (error) {
      if (ownTransaction && this.#txStatus !== 'I') await client.query('ROLLBACK').catch(() => {})
      return { head: notices, rows: [], tail: [], error: targetFailure(error), outcome: { status: 'failed', output: '', error: error.message ?? 'failed' } }
    }
    const result = results[at]!
    if (streamed) return streamed.ran(result, notices)
    const head: Buffer[] = notices
    const rows: Buffer[] = []
    let output: string
    if (result.copyOut) {
      head.push(backend.copyOutResponse(result.copyOut.binary, result.copyOut.columnFormats), ...result.copyOut.chunks.map((chunk) => backend.copyData(chunk)), backend.copyDone())
      output = `${result.tag ?? 'COPY'} (${result.copyOut.chunks.reduce((n, chunk) => n + chunk.length, 0)} bytes sent to the client)`
    } else {
      if (describe !== false && result.fields && result.fields.length > 0) head.push(backend.rowDescription(result.fields, formats))
      else if (describe === 'portal') head.push(backend.noData())
      try {
        for (const row of result.rows) rows.push(backend.dataRow(formats ? inBinary(row, result.fields ?? [], formats) : row))
      } catch (error) {
        if (!(error instanceof BinaryFormatError)) throw error
        return notInBinary(notices, result.tag, error.message)
      }
      output = `${result.tag ?? ''}${result.fields || result.rows.length > 0 ? ` (${result.rows.length} rows sent to the client)` : ''}`
    }
    const tail = [result.empty ? backend.emptyQueryResponse() : backend.commandComplete(result.tag ?? '')]
    return { head, rows, tail, error: undefined, outcome: { status: 'succeeded', output } }
  }

  /**
   * Where the result of a statement recorded before it ran goes: to the client as the target
   * sends it (notices first), at the pace the client reads it (the target's connection is paused
   * while the client's is full), so a result of any size takes no more memory than a message.
   * `ran` then says what followed: the rest of the result and the outcome to record.
   */
  #streamer(describe: Describe, formats: readonly number[] | undefined, client: pg.Client) {
    const target = (client as unknown as { connection: { stream: Socket } }).connection.stream
    let fields: readonly ColumnDescription[] = []
    let described = false
    let copying = false
    let count = 0
    let failure: string | undefined
    const stream = (message: Buffer): void => {
      this.#send(...(this.#notices?.splice(0) ?? []), message)
      if (!this.#socket.writableNeedDrain || target.isPaused()) return
      this.#flush()
      target.pause()
      this.#socket.once('drain', () => target.resume())
    }
    const sink: ResultSink = {
      description: (columns) => {
        fields = columns
        if (describe !== false && columns.length > 0) {
          described = true
          stream(backend.rowDescription(columns, formats))
        }
      },
      row: (values) => {
        if (failure !== undefined) return
        try {
          stream(backend.dataRow(formats ? inBinary(values, fields, formats) : values))
          count += 1
        } catch (error) {
          failure = error instanceof Error ? error.message : String(error)
        }
      },
      copyOut: (binary, columnFormats) => {
        copying = true
        stream(backend.copyOutResponse(binary, columnFormats))
      },
      copyData: (chunk) => {
        count += chunk.length
        stream(backend.copyData(chunk))
      },
    }
    const ran = (result: PipelineResult['results'][number], notices: Buffer[]): Ran => {
      if (failure !== undefined) {
        return notInBinary(notices, result.tag, `after ${count} rows: ${failure}`)
      }
      const head = copying ? [...notices, backend.copyDone()] : describe === 'portal' && !described ? [...notices, backend.noData()] : notices
      const output = copying ? `${result.tag ?? 'COPY'} (${count} bytes sent to the client)` : `${result.tag ?? ''}${result.fields || count > 0 ? ` (${count} rows sent to the client)` : ''}`
      const tail = [result.empty ? backend.emptyQueryResponse() : backend.commandComplete(result.tag ?? '')]
      return { head, rows: [], tail, error: undefined, outcome: { status: 'succeeded', output } }
    }
    return { sink, ran }
  }

  /** The target is in COPY FROM STDIN: the client is told to send its data, which goes straight through. */
  #startCopyIn(copy: CopyIn): void {
    this.#copyIn = copy
    this.#sendNow(backend.copyInResponse(copy.binary, copy.columnFormats))
  }

  /** Sends a recorded statement's result to the client (a portal's rows as its Execute's limit says), or its error. */
  #deliver(ran: Ran, into?: { portal: Portal; maxRows: number }): void {
    this.#send(...ran.head)
    if (ran.error) throw ran.error
    this.#sendRows(into?.portal, ran.rows, ran.tail, into?.maxRows ?? 0)
  }
}

/**
 * Whether a statement's result starts with its description: `true` in the simple protocol
 * (RowDescription when it returns rows), `'portal'` for a Describe of a portal answered with its
 * Execute (RowDescription or NoData), `false` when the client did not ask.
 */
type Describe = boolean | 'portal'

/** A statement run on the target, its result held until its outcome is recorded. */
interface Ran {
  /** Notices, RowDescription or the whole COPY out: sent first. */
  readonly head: Buffer[]
  readonly rows: Buffer[]
  /** CommandComplete (or EmptyQueryResponse). */
  readonly tail: Buffer[]
  readonly error: StatementError | undefined
  readonly outcome: OutcomeReport
}

/** A statement that ran but whose result could not be written in binary: it fails (22P03) and is recorded failed. */
function notInBinary(notices: Buffer[], tag: string | undefined, why: string): Ran {
  const message = `it ran on the target (${tag ?? 'no command tag'}), but its result could not be sent in binary format: ${why}`
  return { head: notices, rows: [], tail: [], error: new StatementError('22P03', message, 'ask for the column in text format'), outcome: { status: 'failed', output: '', error: message } }
}

/** A row as the target sent it (text), with the columns asked for in binary format in their binary form. */
function inBinary(row: readonly (string | null)[], fields: readonly ColumnDescription[], formats: readonly number[]): (string | Buffer | null)[] {
  return row.map((value, index) => (value !== null && formats[index] === 1 ? textToBinary(fields[index]!.dataTypeID, value) : value))
}

/** The identity settings of a statement's transaction ("Identity at execution"). */
const IDENTITY_SQL = `SELECT set_config('countersign.request_id', $1, true), set_config('countersign.agent', $2, true), set_config('countersign.on_behalf_of', $3, true), set_config('countersign.approvers', $4, true)`

/** `COPY … FROM STDIN`, parsed as one statement (it runs with the simple query protocol). */
function isCopyIn(record: ActionRecord, sql: string): boolean {
  const facts = (record.impact as { facts?: { count?: unknown; parse_error?: unknown } | null }).facts
  return facts?.count === 1 && facts.parse_error === '' && /^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i.test(sql)
}

/** The target's error as the client's: its SQLSTATE and every field it came with. */
function targetFailure(error: TargetError): StatementError {
  return new StatementError(typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) ? error.code : 'XX000', error.message ?? 'the statement failed on the target', error.detail, error)
}

/** Whether the analysis judged the action read-only (then it runs where the target refuses writes). */
function isReadOnly(record: ActionRecord): boolean {
  return (record.impact as { facts?: { read_only?: unknown } | null }).facts?.read_only === true
}

/** Statements that open or end a transaction (or a savepoint): run as they are, never wrapped. */
const TRANSACTION_CONTROL = /^\s*(begin|start\s+transaction|commit|end|rollback|abort|savepoint|release)\b/i

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false)
}

