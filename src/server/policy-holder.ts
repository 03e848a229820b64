import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import type { Analyzers } from '../analyzers/index.js'
import { CountersignError, formatDetail } from '../errors/index.js'
import { compilePolicy, type CompiledPolicy } from '../policy/index.js'

/**
 * The policy in force. Loaded whole or not at all: at start an invalid policy stops the gateway;
 * on reload (SIGHUP) an invalid one is reported and the last valid policy stays.
 */
export class PolicyHolder {
  readonly file: string
  readonly #analyzers: Analyzers
  #current: CompiledPolicy

  constructor(file: string, analyzers: Analyzers) {
    this.file = file
    this.#analyzers = analyzers
    this.#current = this.#load()
  }

  get current(): CompiledPolicy {
    return this.#current
  }

  /** Loads the file again; returns the new policy, or `undefined` when it was invalid (and logged). */
  reload(logger?: Logger): CompiledPolicy | undefined {
    try {
      this.#current = this.#load()
      logger?.info({ policy_version: this.#current.version, file: this.file }, 'policy reloaded')
      return this.#current
    } catch (error) {
      const details = error instanceof CountersignError ? error.details.map(formatDetail) : []
      logger?.error({ file: this.file, problems: details, err: error instanceof CountersignError ? undefined : error }, 'policy reload failed; the last valid policy stays in force')
      return undefined
    }
  }

  #load(): CompiledPolicy {
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (error) {
      throw new CountersignError('INVALID', `cannot read policy ${this.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    return compilePolicy(text, { file: this.file, factKinds: this.#analyzers.factKinds })
  }
}
