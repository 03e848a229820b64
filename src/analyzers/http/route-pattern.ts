/** Methods that only read. Every other method, unknown ones included, may change something. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** The method of a request as recognizers see it: `*` when the effective method is not known (a method override is present). */
export type EffectiveMethod = string

/**
 * A compiled route: methods (`PUT`, `PUT|DELETE`, or `*` for any method that may change
 * something) and a path pattern. In patterns `{name}` is one segment, `{name+}` one or more
 * (branch names hold slashes), and a trailing `/**` any deeper path or none. Literals match
 * regardless of case, because servers that route case-insensitively exist and a policy must
 * not be dodged by `/Repos/…`.
 */
export interface Route {
  matches(method: EffectiveMethod, path: string): Readonly<Record<string, string>> | null
}

/** Compiles one route; throws on a malformed pattern, which the table tests catch at once. */
export function compileRoute(methods: string, pattern: string): Route {
  if (!pattern.startsWith('/')) throw new Error(`route pattern must start with "/": ${pattern}`)
  const allowed = methods === '*' ? null : new Set(methods.split('|'))
  const deeper = pattern.endsWith('/**')
  const body = deeper ? pattern.slice(0, -3) : pattern
  const source = body
    .split(/(\{[a-z]+\+?\})/i)
    .map((part) => {
      const param = /^\{([a-z]+)(\+?)\}$/i.exec(part)
      if (param === null) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      return param[2] === '+' ? `(?<${param[1]}>[^/].*?)` : `(?<${param[1]}>[^/]+?)`
    })
    .join('')
  const regex = new RegExp(`^${source}${deeper ? '(?:/.*)?' : ''}$`, 'i')
  // A request whose method is unknown (`*`) matches every route: what it does is not known.
  const methodMatches = (method: EffectiveMethod): boolean => {
    if (method === '*') return true
    return allowed === null ? !SAFE_METHODS.has(method) : allowed.has(method)
  }
  return {
    matches(method, path) {
      if (!methodMatches(method)) return null
      const match = regex.exec(path)
      return match === null ? null : { ...match.groups }
    },
  }
}

/** Fills `{name}` placeholders of a description from a route's parameters. */
export function fill(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z]+)\}/gi, (whole, name: string) => params[name] ?? whole)
}
