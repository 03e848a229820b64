import type { Node, Parser, Tree } from 'web-tree-sitter'

/*
 * Valid bash that tree-sitter-bash's grammar does not accept, read again after rewriting it into
 * text bash reads the same way and the grammar does accept:
 *
 * - `<>` (open for reading and writing): `exec 3<>/dev/tcp/host/80` → `exec 3< /dev/tcp/host/80`,
 *   the redirect then reported with its real operator `<>`;
 * - `[` as the command it is: `[ '(' x ")" ]`, `[ a \< b ]` → `\[ …`, which bash runs as the same
 *   builtin, where the grammar would read `[ … ]` as an expression it cannot parse;
 * - a closing reserved word right after a compound command, which bash accepts without a `;`:
 *   `{ while x; do y; done } | cmd`, `do (cd d) done` → `done; }`, `(cd d); done`.
 *
 * Fail closed: a rewrite is kept only when the whole rewritten text parses without error and every
 * edit became what it was meant to be (the `<` of a redirection, the name of a command, a `;`
 * between a compound command and a reserved word). Otherwise the original tree and its error stand.
 */

/** Places of the rewritten text that were `<>` in the original: the start index of each `<` token. */
export type ReadWriteRedirects = ReadonlySet<number>

interface Edit {
  /** Index in the original text. */
  readonly at: number
  readonly kind: 'read-write' | 'test-command' | 'separator'
}

/** Nodes whose text is not code: an edit inside them would change data. */
const DATA_NODES: ReadonlySet<string> = new Set(['comment', 'string', 'raw_string', 'ansi_c_string', 'translated_string', 'heredoc_body', 'heredoc_content', 'string_content'])
/** Compound commands after which bash takes a reserved word without a separator. */
const COMPOUND_ENDS: ReadonlySet<string> = new Set(['compound_statement', 'subshell', 'while_statement', 'for_statement', 'c_style_for_statement', 'if_statement', 'case_statement', 'function_definition'])

const READ_WRITE = /(?<![<>&])<>(?!>)/g
/** `[` where a command starts: after a separator, an opening keyword, or the start. */
const TEST_COMMAND = /(^|[;&|({}\n!`]|(?<![\w-])(?:then|do|else|elif|if|while|until)(?![\w-]))([ \t]*)\[(?=[ \t])/g
/** A compound command's end, blanks, then a reserved word that closes an enclosing one. */
const MISSING_SEPARATOR = /(\)|\}|(?<![\w-])(?:done|fi|esac)|\]\])(?=[ \t]+(?:\}|done|fi|esac|else|elif)(?![\w-]))/g

/**
 * Parses `code`; when the grammar refuses it, tries the rewrites above. Returns the tree to walk
 * (the caller deletes it), whether it has an error, and where `<>` redirections are.
 */
export function parseWithRepairs(parser: Parser, code: string): { tree: Tree; hasError: boolean; readWrite: ReadWriteRedirects } | null {
  const tree = parser.parse(code)
  if (tree === null) return null
  if (!tree.rootNode.hasError) return { tree, hasError: false, readWrite: new Set() }
  const edits = candidateEdits(tree.rootNode, code)
  if (edits.length === 0) return { tree, hasError: true, readWrite: new Set() }
  const { text, at } = applyEdits(code, edits)
  const repaired = parser.parse(text)
  if (repaired !== null && !repaired.rootNode.hasError && edits.every((edit, i) => editHolds(repaired.rootNode, edit.kind, at[i] as number))) {
    tree.delete()
    return { tree: repaired, hasError: false, readWrite: new Set(edits.flatMap((edit, i) => (edit.kind === 'read-write' ? [at[i] as number] : []))) }
  }
  repaired?.delete()
  return { tree, hasError: true, readWrite: new Set() }
}

function candidateEdits(root: Node, code: string): Edit[] {
  const edits: Edit[] = []
  for (const match of code.matchAll(READ_WRITE)) edits.push({ at: match.index, kind: 'read-write' })
  for (const match of code.matchAll(TEST_COMMAND)) edits.push({ at: match.index + (match[1] as string).length + (match[2] as string).length, kind: 'test-command' })
  for (const match of code.matchAll(MISSING_SEPARATOR)) edits.push({ at: match.index + (match[1] as string).length, kind: 'separator' })
  return edits.filter((edit) => !insideData(root, edit.at)).sort((a, b) => a.at - b.at)
}

function insideData(root: Node, index: number): boolean {
  for (let node: Node | null = root.descendantForIndex(index, index); node !== null; node = node.parent) {
    if (DATA_NODES.has(node.type)) return true
  }
  return false
}

/** The rewritten text, and where each edit landed in it. */
function applyEdits(code: string, edits: readonly Edit[]): { text: string; at: number[] } {
  let text = ''
  let from = 0
  const at: number[] = []
  for (const edit of edits) {
    text += code.slice(from, edit.at)
    at.push(text.length)
    if (edit.kind === 'read-write') {
      text += '< '
      from = edit.at + 2
    } else if (edit.kind === 'test-command') {
      text += '\\['
      from = edit.at + 1
    } else {
      text += ';'
      from = edit.at
    }
  }
  return { text: text + code.slice(from), at }
}

/** Whether the edit at `index` of the rewritten text became what it was meant to be. */
function editHolds(root: Node, kind: Edit['kind'], index: number): boolean {
  const node = root.descendantForIndex(index, index + 1)
  if (node === null) return false
  if (kind === 'read-write') return node.type === '<' && node.startIndex === index && node.parent?.type === 'file_redirect'
  if (kind === 'test-command') {
    const name = node.type === 'word' ? node.parent : node
    return name?.type === 'command_name' && name.startIndex === index && name.text === '\\['
  }
  // The `;` token, right after a compound command that ends there.
  if (node.type !== ';' || node.startIndex !== index) return false
  const before = node.previousSibling
  if (before === null || before.endIndex !== index) return false
  return COMPOUND_ENDS.has(before.type) || (before.type === 'test_command' && before.text.startsWith('[['))
}
