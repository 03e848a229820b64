import type { Node } from 'web-tree-sitter'

const SNIPPET = 30

/**
 * Describes the first `ERROR` or `MISSING` node under `root`, in source order, for a tree whose
 * root `hasError`: `missing ")" at line 1, column 11` or `syntax error at line 2, column 1 near "fi"`.
 * Lines and columns count from 1.
 */
export function describeFirstError(root: Node): string {
  const bad = firstError(root)
  if (bad === null) return 'syntax error'
  const at = bad.isMissing ? bad : pinpoint(bad)
  const where = `line ${at.startPosition.row + 1}, column ${at.startPosition.column + 1}`
  if (bad.isMissing) return `missing ${JSON.stringify(bad.type)} at ${where}`
  const text = bad.text.slice(at.startIndex - bad.startIndex).split('\n', 1)[0] ?? ''
  if (text === '') return `syntax error at ${where}`
  const near = text.length > SNIPPET ? `${text.slice(0, SNIPPET)}…` : text
  return `syntax error at ${where} near ${JSON.stringify(near)}`
}

/** Depth-first, entering only subtrees that contain an error, so a large valid script costs little. */
function firstError(root: Node): Node | null {
  const stack: Node[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as Node
    if (node.isError || node.isMissing) return node
    const children = node.children
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i]
      if (child && (child.hasError || child.isMissing)) stack.push(child)
    }
  }
  return null
}

/**
 * Where inside an `ERROR` node things went wrong: tree-sitter often wraps valid commands in it
 * (`ok\nif then fi` is one ERROR from `ok` on), so skip to its first token or faulty part.
 */
function pinpoint(error: Node): Node {
  let node = error
  for (;;) {
    const child = node.children.find((c) => c !== null && (!c.isNamed || c.hasError || c.isMissing))
    if (!child) return node
    if (!child.isNamed || child.childCount === 0) return child
    node = child
  }
}
