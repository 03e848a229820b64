import { readFileSync } from 'node:fs'
import type { Analyzers } from '../analyzers/index.js'
import { CountersignError } from '../errors/index.js'
import { compilePolicy, type CompiledPolicy, type CompileOptions } from '../policy/index.js'

/**
 * The policy in force. Loaded whole or not at all: at start an invalid policy stops the gateway;
 * on reload (SIGHUP) a new one is compiled first and put in force only once its audit event is
 * written; an invalid one is reported and the last valid policy stays.
 */
export class PolicyHolder {
  readonly file: string
  readonly #analyzers: Analyzers
  readonly #channelTypes: readonly string[] | undefined
  readonly #calendars: readonly string[] | undefined
  #current: CompiledPolicy

  /** `channelTypes`: the channel types the gateway asks in (see {@link CompileOptions.channelTypes}). */
  constructor(file: string, analyzers: Analyzers, channelTypes?: readonly string[], calendars?: readonly string[]) {
    this.file = file
    this.#analyzers = analyzers
    this.#channelTypes = channelTypes
    this.#calendars = calendars
    this.#current = this.#load()
  }

  get current(): CompiledPolicy {
    return this.#current
  }

  /** Compiles the file as it is now, without putting it in force; throws INVALID when it is invalid. */
  compile(): CompiledPolicy {
    return this.#load()
  }

  /** Compiles a policy text (from the store) as the file is compiled; throws INVALID when it is invalid. */
  compileText(text: string, file: string): CompiledPolicy {
    return compilePolicy(text, { file, factKinds: this.#analyzers.factKinds, ...(this.#channelTypes && { channelTypes: this.#channelTypes }), ...(this.#calendars && { calendars: this.#calendars }) })
  }

  /** The policy file's text as it is now. */
  readText(): string {
    try {
      return readFileSync(this.file, 'utf8')
    } catch (error) {
      throw new CountersignError('INVALID', `cannot read policy ${this.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
  }

  /** Puts a compiled policy in force (after its `policy.loaded` event is recorded). */
  use(policy: CompiledPolicy): void {
    this.#current = policy
  }

  #load(): CompiledPolicy {
    return this.compileText(this.readText(), this.file)
  }
}
