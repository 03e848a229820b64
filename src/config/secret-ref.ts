import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { CountersignError } from '../errors/index.js'

/**
 * Where a secret lives: an environment variable or a file. The config holds only the reference;
 * the value is read with {@link resolveSecret} when it is used, so it is never part of the
 * loaded config, its logs or its error messages.
 */
export type SecretRef =
  | {
      readonly kind: 'env'
      /** The variable's name. */
      readonly name: string
      /** The reference as written in the config (`env:NAME`), for messages. */
      readonly ref: string
    }
  | {
      readonly kind: 'file'
      /** Absolute path; a relative one in the config is relative to the config file's directory. */
      readonly path: string
      /** The reference as written in the config (`file:PATH`), for messages. */
      readonly ref: string
    }

/** What a config author is told when a secret is written as a value. */
export const SECRET_RULE = 'secrets are referenced (env:NAME or file:PATH), never inlined'

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** True when `text` is written as a reference (`env:…` or `file:…`), valid or not. */
export function looksLikeSecretRef(text: string): boolean {
  return text.startsWith('env:') || text.startsWith('file:')
}

/**
 * Parses `env:NAME` or `file:PATH` (a relative path is resolved against `baseDir`).
 * Returns a problem to report instead when the text is not a valid reference; the problem
 * never repeats the text, which may be a secret pasted by mistake.
 */
export function parseSecretRef(text: string, baseDir: string): SecretRef | { readonly problem: string } {
  if (text.startsWith('env:')) {
    const name = text.slice(4)
    if (!ENV_NAME.test(name)) return { problem: 'expected env:NAME, the name of letters, digits and "_" (not starting with a digit)' }
    return { kind: 'env', name, ref: text }
  }
  if (text.startsWith('file:')) {
    const path = text.slice(5)
    if (path.trim() === '' || path.includes('\0')) return { problem: 'expected file:PATH with a path' }
    return { kind: 'file', path: isAbsolute(path) ? path : resolve(baseDir, path), ref: text }
  }
  return { problem: SECRET_RULE }
}

/**
 * Reads a secret's value at the moment it is needed. A missing or empty variable, or an
 * unreadable or empty file, is an `INVALID` error that names the reference, never a value.
 * One trailing newline of a file is dropped (editors and `echo` add it).
 *
 * @example
 * const token = resolveSecret(config.channels.slack.bot_token)
 */
export function resolveSecret(ref: SecretRef, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (ref.kind === 'env') {
    const value = env[ref.name]
    if (value === undefined) throw new CountersignError('INVALID', `secret ${ref.ref}: the environment variable ${ref.name} is not set`)
    if (value === '') throw new CountersignError('INVALID', `secret ${ref.ref}: the environment variable ${ref.name} is empty`)
    return value
  }
  let value: string
  try {
    value = readFileSync(ref.path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unreadable')
    // The system's message is left out: it is about the file, but it is not ours to vouch for.
    throw new CountersignError('INVALID', `secret ${ref.ref}: cannot read ${ref.path}: ${reason}`)
  }
  const trimmed = value.endsWith('\r\n') ? value.slice(0, -2) : value.endsWith('\n') ? value.slice(0, -1) : value
  if (trimmed === '') throw new CountersignError('INVALID', `secret ${ref.ref}: the file ${ref.path} is empty`)
  return trimmed
}
