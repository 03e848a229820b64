/**
 * A test for resource types against a table of names and patterns, where `*` stands for any run
 * of characters (possibly none): `aws_iam_*`, `google_*_iam_member`, `azurerm_*role_assignment`.
 * Names without `*` are exact.
 *
 * @example
 * const isIam = typeMatcher(['aws_iam_*', 'google_*_iam_member'])
 * isIam('google_storage_bucket_iam_member') // true
 */
export function typeMatcher(patterns: readonly string[]): (type: string) => boolean {
  const exact = new Set(patterns.filter((pattern) => !pattern.includes('*')))
  const globs = patterns.filter((pattern) => pattern.includes('*')).map(globToRegExp)
  return function matchesType(type: string): boolean {
    return exact.has(type) || globs.some((glob) => glob.test(type))
  }
}

function globToRegExp(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${source}$`)
}
