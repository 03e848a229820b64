/**
 * Compiles a name glob (`prod-*`, `db-?`) to a predicate: `*` matches any run of characters,
 * `?` one character, everything else itself. Names (targets, agent ids) have no path separators,
 * so no `**` is needed.
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  if (!/[*?]/.test(pattern)) return (name) => name === pattern
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  const regex = new RegExp(`^${source}$`, 's')
  return (name) => regex.test(name)
}
