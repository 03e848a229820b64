import type { EventEmitter } from 'node:events'
import { connect, type Socket } from 'node:net'
import type pg from 'pg'
import { DatabaseError, serialize } from 'pg-protocol'

/** A field of RowDescription, as the target described it. */
export interface ColumnDescription {
  readonly name: string
  readonly tableID: number
  readonly columnID: number
  readonly dataTypeID: number
  readonly dataTypeSize: number
  readonly dataTypeModifier: number
}

/** One statement of a pipeline: its text, its parameters (text format), whether its rows are described. */
export interface Step {
  readonly text: string
  readonly values?: readonly (string | null)[] | undefined
  /** Parameter types the client declared in its Parse (0: let the target infer). */
  readonly types?: readonly number[] | undefined
  /** Send Describe (portal): the step's RowDescription is wanted (the client's statement; not the wrapping ones). */
  readonly describe?: boolean
  /** Where the step's description, rows and COPY data go as they come, instead of into its result (which then holds none). */
  readonly sink?: ResultSink
}

/** Takes a step's result as the target sends it (see {@link Step.sink}). */
export interface ResultSink {
  description(fields: readonly ColumnDescription[]): void
  row(fields: readonly (string | null)[]): void
  copyOut(binary: boolean, columnFormats: readonly number[]): void
  copyData(chunk: Buffer): void
}

/** What the target answered to one step. */
export interface StepResult {
  fields: readonly ColumnDescription[] | undefined
  readonly rows: (string | null)[][]
  /** The command tag exactly as the target sent it (`SELECT 1`, `INSERT 0 2`, `COPY 3`). */
  tag: string | undefined
  empty: boolean
  /** COPY … TO STDOUT: the CopyOutResponse's formats, and the data as sent. */
  copyOut: { readonly binary: boolean; readonly columnFormats: readonly number[]; readonly chunks: Buffer[] } | undefined
}

/** The error a step ended with, as the target reported it (every field kept for the client). */
export interface TargetError {
  readonly message: string
  readonly code?: string | undefined
  readonly detail?: string | undefined
  readonly hint?: string | undefined
  readonly position?: string | undefined
  readonly where?: string | undefined
  readonly schema?: string | undefined
  readonly table?: string | undefined
  readonly column?: string | undefined
  readonly constraint?: string | undefined
}

/** The client's side of COPY FROM STDIN while it runs on the target. */
export interface CopyIn {
  readonly binary: boolean
  readonly columnFormats: readonly number[]
  data(chunk: Buffer): void
  done(): void
  fail(message: string): void
}

/** The results of the steps that ran (in order; the failed one last), and the error, if one ended it. */
export interface PipelineResult {
  readonly results: readonly StepResult[]
  readonly error: TargetError | undefined
  /** True when the results outgrew the budget: their rows and COPY data were dropped (see {@link ResultBudget}). */
  readonly exceeded?: boolean
}

/**
 * The most the results of a pipeline may weigh (rows as their text, COPY data as its bytes):
 * results are held in memory, so past `maxBytes` their rows are dropped, nothing more is kept,
 * and `exceeded` is called once (to cancel the statement on the target).
 */
export interface ResultBudget {
  readonly maxBytes: number
  readonly exceeded: () => void
}

interface Connection extends EventEmitter {
  readonly stream: Socket
}

/**
 * Runs statements on a target connection in ONE round trip: Parse/Bind/(Describe)/Execute per
 * step and a single Sync, so `BEGIN READ ONLY`, the identity settings, the statement and
 * `COMMIT` cost what the statement alone costs. After an error the target skips the rest up to
 * the Sync (a transaction opened by the steps is then left aborted: the caller rolls it back).
 * It is a node-postgres "submittable" (the interface pg-cursor and pg-copy-streams use): the
 * client queues it like any query and routes the target's answers to it.
 *
 * @example
 * const { results, error } = await runSteps(client, [{ text: 'BEGIN READ ONLY' }, { text: 'SELECT $1::int', values: ['1'], describe: true }, { text: 'COMMIT' }])
 */
export function runSteps(client: pg.Client, steps: readonly Step[], budget?: ResultBudget): Promise<PipelineResult> {
  return new Promise<PipelineResult>((resolve) => {
    void client.query(new Pipeline(steps, resolve, undefined, 'steps', budget) as unknown as pg.QueryConfig)
  })
}

/**
 * Runs one statement with the simple query protocol: for `COPY … FROM STDIN`, whose data the
 * client sends while it runs (in the extended protocol the steps after it would already be on the
 * wire, and the target would take them for an end of the copy). The text must be ONE statement.
 */
export function runCopyIn(client: pg.Client, text: string, onCopyIn: (copy: CopyIn) => void): Promise<PipelineResult> {
  return new Promise<PipelineResult>((resolve) => {
    void client.query(new Pipeline([{ text }], resolve, onCopyIn, 'simple') as unknown as pg.QueryConfig)
  })
}

/** What the target says of a statement it parsed (Parse + Describe statement, nothing run). */
export interface Description {
  readonly params: readonly number[]
  readonly fields: readonly ColumnDescription[] | undefined
}

/**
 * Has the target parse and describe a statement without running it (as a driver's Describe
 * does): its parameter types and its row description, or the target's error (a bad statement).
 */
export async function describeOnTarget(client: pg.Client, step: Step): Promise<Description | TargetError> {
  const ran = await new Promise<PipelineResult & { params?: number[] }>((resolve) => {
    void client.query(new Pipeline([step], resolve, undefined, 'describe') as unknown as pg.QueryConfig)
  })
  return ran.error ?? { params: ran.params ?? [], fields: ran.results[0]?.fields }
}

const newResult = (): StepResult => ({ fields: undefined, rows: [], tag: undefined, empty: false, copyOut: undefined })

class Pipeline {
  readonly #steps: readonly Step[]
  readonly #resolve: (result: PipelineResult & { params?: number[] }) => void
  readonly #onCopyIn: ((copy: CopyIn) => void) | undefined
  readonly #results: StepResult[] = [newResult()]
  #connection: Connection | undefined
  #settled = false
  readonly #copyOut = (message: { binary: boolean; columnTypes: number[] }) => {
    this.#current.copyOut = { binary: message.binary, columnFormats: message.columnTypes, chunks: [] }
    this.#sink?.copyOut(message.binary, message.columnTypes)
  }
  #copyInResponse: { binary: boolean; columnTypes: number[] } | undefined
  readonly #copyIn = (message: { binary: boolean; columnTypes: number[] }) => {
    this.#copyInResponse = message
  }

  readonly #mode: 'steps' | 'simple' | 'describe'
  #params: number[] | undefined
  readonly #budget: ResultBudget | undefined
  /** What the results weigh so far; -1 once over the budget. */
  #weight = 0
  readonly #parameterDescription = (message: { dataTypeIDs: number[] }) => {
    this.#params = message.dataTypeIDs
  }

  constructor(steps: readonly Step[], resolve: (result: PipelineResult & { params?: number[] }) => void, onCopyIn: ((copy: CopyIn) => void) | undefined, mode: 'steps' | 'simple' | 'describe', budget?: ResultBudget) {
    this.#mode = mode
    this.#budget = budget
    this.#steps = steps
    this.#resolve = resolve
    this.#onCopyIn = onCopyIn
  }

  get #current(): StepResult {
    return this.#results[this.#results.length - 1]!
  }

  /** The sink of the step whose answers come now (results are pushed one per step, in order). */
  get #sink(): ResultSink | undefined {
    return this.#mode === 'steps' ? this.#steps[this.#results.length - 1]?.sink : undefined
  }

  /** Called by the client when it is this query's turn: everything is written at once. */
  submit(connection: Connection): void {
    this.#connection = connection
    // Before the client's own listeners: the formats are read here, the client only signals.
    connection.prependListener('copyOutResponse', this.#copyOut)
    connection.prependListener('copyInResponse', this.#copyIn)
    if (this.#mode === 'simple') {
      connection.stream.write(serialize.query(this.#steps[0]!.text))
      return
    }
    if (this.#mode === 'describe') {
      const step = this.#steps[0]!
      connection.prependListener('parameterDescription', this.#parameterDescription)
      connection.stream.write(Buffer.concat([serialize.parse({ text: step.text, types: [...(step.types ?? [])] }), serialize.describe({ type: 'S' }), serialize.sync()]))
      return
    }
    const buffers: Buffer[] = []
    for (const step of this.#steps) {
      buffers.push(serialize.parse({ text: step.text, types: [...(step.types ?? [])] }), serialize.bind({ values: step.values ? [...step.values] : [] }))
      if (step.describe) buffers.push(serialize.describe({ type: 'P' }))
      buffers.push(serialize.execute({ rows: 0 }))
    }
    buffers.push(serialize.sync())
    connection.stream.write(Buffer.concat(buffers))
  }

  handleRowDescription(message: { fields: ColumnDescription[] }): void {
    this.#current.fields = message.fields
    this.#sink?.description(message.fields)
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    const sink = this.#sink
    if (sink) return sink.row(message.fields)
    let bytes = 4 * message.fields.length
    for (const field of message.fields) bytes += field?.length ?? 0
    if (this.#fits(bytes)) this.#current.rows.push(message.fields)
  }

  handleCopyData(message: { chunk: Buffer }): void {
    const sink = this.#sink
    if (sink) return sink.copyData(message.chunk)
    if (this.#fits(message.chunk.length)) this.#current.copyOut?.chunks.push(message.chunk)
  }

  /** Whether `bytes` more fit the budget; the first time they do not, everything held is dropped. */
  #fits(bytes: number): boolean {
    if (this.#weight < 0) return false
    this.#weight += bytes
    if (this.#budget === undefined || this.#weight <= this.#budget.maxBytes) return true
    this.#weight = -1
    for (const result of this.#results) {
      result.rows.length = 0
      result.copyOut?.chunks.splice(0)
    }
    this.#budget.exceeded()
    return false
  }

  handleCommandComplete(message: { text: string }): void {
    this.#current.tag = message.text
    this.#results.push(newResult())
  }

  handleEmptyQuery(): void {
    this.#current.empty = true
    this.#results.push(newResult())
  }

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: Connection): void {
    const response = this.#copyInResponse ?? { binary: false, columnTypes: [] }
    const send = (buffer: Buffer) => connection.stream.writable && connection.stream.write(buffer)
    if (!this.#onCopyIn) {
      send(serialize.copyFail('COPY FROM STDIN is not expected here'))
      return
    }
    this.#onCopyIn({
      binary: response.binary,
      columnFormats: response.columnTypes,
      data: (chunk) => send(serialize.copyData(chunk)),
      done: () => send(serialize.copyDone()),
      fail: (message) => send(serialize.copyFail(message)),
    })
  }

  handleError(error: TargetError): void {
    // The client forgets this query at an error; the ReadyForQuery that follows still comes, and
    // the transaction status it carries is what the session must know before going on.
    // A lost connection (not an ErrorResponse) sends nothing more: it ends here.
    const results = this.#results.slice(0, -1).concat(this.#current)
    if (this.#connection && error instanceof DatabaseError) this.#connection.once('readyForQuery', () => this.#finish({ results, error }))
    else this.#finish({ results, error })
  }

  handleReadyForQuery(): void {
    // Describe answers a row description but no CommandComplete: its one result is the current one.
    this.#finish({ results: this.#mode === 'describe' ? this.#results : this.#results.slice(0, -1), error: undefined })
  }

  #finish(result: PipelineResult): void {
    if (this.#settled) return
    this.#settled = true
    this.#connection?.removeListener('parameterDescription', this.#parameterDescription)
    this.#connection?.removeListener('copyOutResponse', this.#copyOut)
    this.#connection?.removeListener('copyInResponse', this.#copyIn)
    this.#resolve({ ...result, ...(this.#params && { params: this.#params }), ...(this.#weight < 0 && { exceeded: true }) })
  }
}

/**
 * Cancels what the target runs on `client`'s connection now: a CancelRequest with the key the
 * target gave it, on a connection of its own. Resolves when the target has closed that
 * connection, which it does once it has signalled the backend: from then on the cancel cannot
 * reach a later statement (a backend waiting for its client ignores one).
 */
export function cancelOnTarget(client: pg.Client): Promise<void> {
  const { processID, secretKey, host, port } = client as unknown as { processID: number | null; secretKey: number | null; host: string; port: number }
  if (processID === null || secretKey === null) return Promise.resolve()
  const socket = host.startsWith('/') ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host)
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.end(serialize.cancel(processID, secretKey))
  return closed
}
