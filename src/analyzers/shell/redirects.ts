import type { Node } from 'web-tree-sitter'
import type { ShellRedirectFacts } from './facts.js'
import { evaluateWord } from './words.js'

/** Node types of redirections, wherever tree-sitter puts them. */
export const REDIRECT_TYPES: ReadonlySet<string> = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect'])

/** A `file_redirect` node taken apart. */
export interface FileRedirect {
  /** The fact, or null for a descriptor duplication or close (`2>&1`, `>&-`). */
  readonly fact: ShellRedirectFacts | null
  /** The target's node, walked for substitutions (`> "$(mktemp)"`). */
  readonly target: Node | undefined
  /** Words after the target, which belong to the command (see `extraWords`). */
  readonly extra: readonly Node[]
}

/**
 * Reads a `file_redirect`: `2> err.log` → `{op: '2>', target: 'err.log'}`. `readWrite` holds the
 * places where the text was `<>` before the grammar's repair (`3<>file` read as `3< file`).
 */
export function readFileRedirect(node: Node, readWrite: ReadonlySet<number> = new Set()): FileRedirect {
  let descriptor = ''
  let op = ''
  const destinations: Node[] = []
  for (const child of node.children) {
    if (!child) continue
    if (child.type === 'file_descriptor') descriptor = child.text
    else if (!child.isNamed) op ||= readWrite.has(child.startIndex) && child.text === '<' ? '<>' : child.text
    else destinations.push(child)
  }
  const [target, ...extra] = destinations
  if (target === undefined) return { fact: null, target, extra }
  const text = evaluateWord(target).text
  // `2>&1` and `<&0` duplicate descriptors and `>&-` closes one; `>&file` does write a file.
  const duplication = op.endsWith('&') && /^(\d+|-)$/.test(text)
  return { fact: duplication ? null : { op: descriptor + op, target: text }, target, extra }
}

/**
 * Words tree-sitter hangs on a redirect that bash passes to the command: `echo a > f b` runs
 * `echo a b`, and `cat <<EOF x` runs `cat x`. Missing them would hide arguments, or a whole
 * command behind `exec >log sudo rm …`.
 */
export function extraWords(redirect: Node): Node[] {
  if (redirect.type === 'heredoc_redirect') return redirect.childrenForFieldName('argument').filter((n): n is Node => n !== null)
  if (redirect.type !== 'file_redirect') return []
  return redirect.namedChildren.filter((n): n is Node => n !== null && n.type !== 'file_descriptor').slice(1)
}
