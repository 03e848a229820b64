import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import type { ErrorDetail } from '../errors/index.js'

type Path = readonly PropertyKey[]

/**
 * A parsed YAML document that can say where any value came from, so that every error in a
 * policy file points at a line and column.
 */
export class YamlSource {
  readonly document: Document
  readonly file: string | undefined
  readonly #lines = new LineCounter()
  readonly #text: string

  constructor(text: string, file?: string) {
    this.#text = text
    this.file = file
    // YAML 1.2 core schema only: no merge keys, no 1.1 booleans or octals, no custom tags.
    this.document = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2', merge: false, schema: 'core' })
  }

  /** YAML syntax errors, located. */
  syntaxErrors(): ErrorDetail[] {
    // Warnings (an unknown tag, a directive) change what a value means: treat them as errors.
    return [...this.document.errors, ...this.document.warnings].map((error) => {
      const position = this.#lines.linePos(error.pos[0])
      return { file: this.file, line: position.line, column: position.col, message: firstLine(error.message) }
    })
  }

  /** The located detail for a value at `path`; a missing value is reported at its nearest parent. */
  at(path: Path, message: string, pathText = formatPath(path)): ErrorDetail {
    let node: unknown
    for (let depth = path.length; depth >= 0; depth--) {
      node = this.document.getIn(path.slice(0, depth), true)
      if (node && typeof node === 'object' && 'range' in node) break
    }
    return this.#detail(node as Node | undefined, 0, message, pathText)
  }

  /** The located detail for a key of the mapping at `path` (e.g. an unknown key). */
  atKey(path: Path, key: string, message: string): ErrorDetail {
    const map = this.document.getIn(path, true)
    if (isMap(map)) {
      const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key)
      if (pair && isScalar(pair.key)) return this.#detail(pair.key, 0, message, formatPath([...path, key]))
    }
    return this.at(path, message)
  }

  /** The located detail for a character offset inside the string scalar at `path` (a CEL error's position). */
  atOffset(path: Path, offset: number, message: string): ErrorDetail {
    const node = this.document.getIn(path, true)
    if (!isScalar(node) || !node.range) return this.at(path, message)
    return this.#detail(node, offset, message, formatPath(path))
  }

  #detail(node: Node | undefined, offset: number, message: string, path: string): ErrorDetail {
    const start = node?.range?.[0]
    if (start === undefined) return { file: this.file, message, path }
    const position = this.#lines.linePos(this.#sourceOffset(node as Node, start, offset))
    return { file: this.file, line: position.line, column: position.col, message, path }
  }

  /** Maps an offset in a scalar's value to an offset in the file, for flow and block scalars. */
  #sourceOffset(node: Node, start: number, offset: number): number {
    if (offset === 0 || !isScalar(node)) return start
    if (node.type === 'PLAIN') return start + offset
    if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return start + 1 + offset
    // Block scalar: skip the header line, then walk content lines (indent removed) until the offset falls in one.
    const end = node.range?.[1] ?? this.#text.length
    let lineStart = this.#text.indexOf('\n', start) + 1
    let remaining = offset
    while (lineStart > 0 && lineStart < end) {
      const lineEnd = this.#text.indexOf('\n', lineStart)
      const line = this.#text.slice(lineStart, lineEnd === -1 ? end : lineEnd)
      const indent = line.length - line.trimStart().length
      const content = line.length - indent
      if (remaining <= content) return lineStart + indent + remaining
      remaining -= content + 1
      if (lineEnd === -1) break
      lineStart = lineEnd + 1
    }
    return start
  }
}

/** `rules[2].when` for `['rules', 2, 'when']`. */
export function formatPath(path: Path): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), '')
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text
}
