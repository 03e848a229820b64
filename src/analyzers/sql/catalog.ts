import { isReadOnlyFunction } from './read-only-functions.js'

/** `provolatile` of `pg_proc`. */
export type Volatility = 'i' | 's' | 'v'

/** A function of the database's own (outside `pg_catalog` and `information_schema`) in a schema on the search path. */
export interface CatalogFunction {
  /** `public.lower(integer)`. */
  readonly signature: string
  readonly name: string
  readonly volatility: Volatility
  /** It can be called in attribute notation (`t.f` is `f(t)`): one required argument of a row, pseudo or domain type. */
  readonly rowArgument: boolean
}

/** What a rule, policy, default or domain check of the database depends on (`pg_depend`). */
export interface CatalogDependency {
  /** `view` (a view's SELECT rule), `policy` (row-level security), `rule` (a rule on INSERT/UPDATE/DELETE), `default` (a column default), `domain` (a domain's CHECK). */
  readonly via: 'view' | 'policy' | 'rule' | 'default' | 'domain'
  /** The relation (for `domain`: the type) whose rule, policy, default or check it is. */
  readonly owner: number
  readonly ref: 'function' | 'operator' | 'relation' | 'type'
  /** The referenced object's oid (a relation or a type). */
  readonly oid: number
  /** The referenced function's, or operator's function's, schema, name and volatility. */
  readonly schema: string
  readonly name: string
  readonly volatility: Volatility
}

/** A relation any schema holds. */
export interface CatalogRelation {
  readonly oid: number
  readonly schema: string
  readonly name: string
  /** `relkind`: `r` table, `v` view, `m` materialized view, `f` foreign table, `p` partitioned table, `S` sequence. */
  readonly kind: string
  /** Row-level security is on: its policies run on every read. */
  readonly rls: boolean
  /** Columns (or the row type) whose type has an implicit cast of the database's own that calls a function: `col (mytype → text by public.f)`. */
  readonly castColumns: readonly string[]
}

/** The catalog rows a snapshot is built from, as read from the target (see `src/connectors/postgres-catalog.ts`). */
export interface RawCatalog {
  /** `current_schemas(true)` of the executing role: the schemas unqualified names are looked up in. */
  readonly searchPath: readonly string[]
  readonly functions: readonly CatalogFunction[]
  /** Operators outside `pg_catalog` in schemas on the search path: name and signature (`public.+(integer,integer)`). */
  readonly operators: readonly { readonly name: string; readonly signature: string }[]
  /** Casts of the database's own that call a function: type names (as `pg_type.typname`) and the function. */
  readonly casts: readonly { readonly source: string; readonly target: string; readonly function: string }[]
  /** Domains with CHECK constraints. */
  readonly domains: readonly { readonly oid: number; readonly schema: string; readonly name: string }[]
  readonly relations: readonly CatalogRelation[]
  readonly dependencies: readonly CatalogDependency[]
}

/** What reading (or writing) one relation runs besides reading rows. */
export interface RelationVerdict {
  readonly kind: string
  /** Why reading it may run something not known to be harmless; empty when nothing. */
  readonly onRead: readonly string[]
  /** Why planning a write to it may run something (non-volatile calls of its rules on INSERT/UPDATE/DELETE and column defaults); empty when nothing. */
  readonly onWrite: readonly string[]
}

/**
 * A target database's catalog as the SQL analysis needs it: the functions, operators, casts,
 * domains and relations a statement may reach by name, with what each runs. Built once per
 * refresh by {@link buildSqlCatalog}; read by the analysis synchronously.
 */
export interface SqlCatalog {
  readonly searchPath: readonly string[]
  /** Functions of the database's own on the search path, by name. */
  readonly functions: ReadonlyMap<string, readonly CatalogFunction[]>
  /** Operators of the database's own on the search path, by name → signatures. */
  readonly operators: ReadonlyMap<string, readonly string[]>
  /** Type name → the casts of the database's own from or to it (`mytype → text by public.f(mytype)`). */
  readonly castTypes: ReadonlyMap<string, string>
  /** Domain name → why coercing to it may run something (its CHECK calls). */
  readonly domains: ReadonlyMap<string, string>
  /** `schema.name` → what the relation runs. */
  readonly relations: ReadonlyMap<string, RelationVerdict>
  /** When it was read (ms since the epoch). */
  readonly loadedAt: number
}

const BUILT_IN_SCHEMAS: ReadonlySet<string> = new Set(['pg_catalog', 'information_schema'])

/**
 * Whether a function a view, policy, rule, default or domain check depends on is known to be
 * harmless: a built-in on the read-only allow-list, which is generated from PostgreSQL's own
 * catalog (every non-volatile built-in, cast and comparison functions such as `int4eq` and
 * `textcat` included) less those that assign a transaction id, run SQL given as text, or run a
 * domain's CHECK (`txid_current`, `query_to_xml`, `array_in`…). Every function of the
 * database's own counts as harmful whatever its declared volatility: `IMMUTABLE` is a promise
 * the server does not check for C or PL/Python code, and a `STABLE` SQL function may call a volatile one.
 */
export function isHarmlessBuiltIn(schema: string, name: string): boolean {
  if (!BUILT_IN_SCHEMAS.has(schema)) return false
  return isReadOnlyFunction(name)
}

/**
 * Builds the snapshot the analysis reads from the rows read off a target's catalog: indexes by
 * name, and for every relation what reading it runs, following views into the views and tables
 * they read (row-level security policies included), to any depth.
 */
export function buildSqlCatalog(raw: RawCatalog, loadedAt: number): SqlCatalog {
  const functions = new Map<string, CatalogFunction[]>()
  for (const f of raw.functions) functions.set(f.name, [...(functions.get(f.name) ?? []), f])
  const operators = new Map<string, string[]>()
  for (const o of raw.operators) operators.set(o.name, [...(operators.get(o.name) ?? []), o.signature])
  const castTypes = new Map<string, string>()
  for (const c of raw.casts) {
    const text = `cast ${c.source} → ${c.target} by ${c.function}`
    for (const type of [c.source, c.target]) if (!castTypes.has(type)) castTypes.set(type, text)
  }

  const byOwner = new Map<string, CatalogDependency[]>()
  for (const d of raw.dependencies) {
    const key = `${d.via === 'domain' ? 't' : 'r'}${d.owner}`
    byOwner.set(key, [...(byOwner.get(key) ?? []), d])
  }
  const relationsByOid = new Map(raw.relations.map((r) => [r.oid, r]))
  const domainsByOid = new Map(raw.domains.map((d) => [d.oid, d]))
  const domainReasons = new Map<number, string[]>()
  for (const domain of raw.domains) {
    const reasons = (byOwner.get(`t${domain.oid}`) ?? []).flatMap((d) => callReason(d))
    domainReasons.set(domain.oid, reasons)
  }
  const domains = new Map<string, string>()
  for (const domain of raw.domains) {
    const reasons = domainReasons.get(domain.oid) ?? []
    if (reasons.length > 0) domains.set(domain.name, `domain ${domain.schema}.${domain.name} checks ${reasons.join(', ')}`)
  }

  const onRead = new Map<number, readonly string[]>()
  const readReasons = (rel: CatalogRelation): readonly string[] => {
    const known = onRead.get(rel.oid)
    if (known) return known
    onRead.set(rel.oid, []) // a cycle adds nothing
    const reasons: string[] = []
    if (!BUILT_IN_SCHEMAS.has(rel.schema)) {
      if (rel.kind === 'f') reasons.push(`${rel.schema}.${rel.name} is a foreign table: reading it runs a query on another server`)
      for (const column of rel.castColumns) reasons.push(`${rel.schema}.${rel.name} has ${column}`)
      for (const d of byOwner.get(`r${rel.oid}`) ?? []) {
        if (d.via !== 'view' && !(d.via === 'policy' && rel.rls)) continue
        const where = d.via === 'view' ? `view ${rel.schema}.${rel.name}` : `a row-level security policy of ${rel.schema}.${rel.name}`
        for (const reason of dependencyReasons(d, rel.oid)) reasons.push(`${where} ${reason}`)
      }
    }
    onRead.set(rel.oid, reasons)
    return reasons
  }
  const dependencyReasons = (d: CatalogDependency, self: number): string[] => {
    if (d.ref === 'relation') {
      const other = relationsByOid.get(d.oid)
      if (other === undefined || other.oid === self) return []
      const inner = readReasons(other)
      return inner.length > 0 ? [`reads ${other.schema}.${other.name}: ${inner[0]}`] : []
    }
    if (d.ref === 'type') {
      const domain = domainsByOid.get(d.oid)
      const inner = domainReasons.get(d.oid) ?? []
      return domain !== undefined && inner.length > 0 ? [`coerces to domain ${domain.schema}.${domain.name}, which checks ${inner.join(', ')}`] : []
    }
    return callReason(d)
  }

  const relations = new Map<string, RelationVerdict>()
  for (const rel of raw.relations) {
    const onWrite: string[] = []
    for (const d of byOwner.get(`r${rel.oid}`) ?? []) {
      if (d.via === 'rule' || d.via === 'default') for (const reason of plannedCallReason(d)) onWrite.push(`a ${d.via === 'rule' ? 'rule' : 'column default'} of ${rel.schema}.${rel.name} ${reason}`)
    }
    relations.set(`${rel.schema}.${rel.name}`, { kind: rel.kind, onRead: readReasons(rel), onWrite })
  }
  return { searchPath: raw.searchPath, functions, operators, castTypes, domains, relations, loadedAt }
}

/**
 * Planning a write folds the calls of its rules and column defaults that are not volatile (the
 * planner evaluates immutable calls, and stable ones to estimate): a function of the database's
 * own that is not volatile may run while the statement is only explained. Volatile ones never do.
 */
function plannedCallReason(d: CatalogDependency): string[] {
  if ((d.ref !== 'function' && d.ref !== 'operator') || BUILT_IN_SCHEMAS.has(d.schema) || d.volatility === 'v') return []
  return [`calls ${d.schema}.${d.name}, which planning may run`]
}

/** `calls public.f` when a function (or an operator's function) dependency is not known harmless. */
function callReason(d: CatalogDependency): string[] {
  if (d.ref !== 'function' && d.ref !== 'operator') return []
  if (isHarmlessBuiltIn(d.schema, d.name)) return []
  return [d.ref === 'function' ? `calls ${d.schema}.${d.name}` : `uses an operator that calls ${d.schema}.${d.name}`]
}
