/**
 * Query parameters by decoded name: a string, or a list of strings when the name is repeated
 * (`?a=1&a=2` → `{a: ['1', '2']}`). Values of credential-like names are `(redacted)`.
 */
export type HttpQuery = Readonly<Record<string, string | readonly string[]>>

/**
 * Facts of an `http` action. The first six are promised by docs/facts.md; the rest are added
 * so policies can tell *what* a call does, not only where it goes.
 *
 * Header values, query values of credential-like names and body values never appear here: facts
 * are shown to approvers and stored in the audit log, and the payload already holds them.
 * The values read besides the URL are the media type of `Content-Type` and `X-Amz-Target`
 * (an AWS operation name such as `AWSOrganizationsV20161128.CreateAccount`, not a secret).
 */
export interface HttpFacts {
  /** The method, upper-case. */
  readonly method: string
  /** The host as the WHATWG URL parser normalizes it (lower-case, IDN as punycode, IPv4 forms canonical, IPv6 in brackets), without port or trailing dot. `""` when the URL cannot be analyzed. */
  readonly host: string
  /**
   * The path as the server sees it: dot segments resolved (also `%2e%2e`), percent-encoded
   * unreserved characters decoded (`%7E` → `~`), other escapes upper-cased (`%2f` → `%2F`).
   */
  readonly path: string
  readonly query: HttpQuery
  /** The media type of the `Content-Type` header, lower-case, without parameters (`application/json`). `""` when no such header. */
  readonly content_type: string
  /**
   * Whether the request may change something. True for every method except GET, HEAD, OPTIONS
   * and TRACE (unknown methods too), and also for a safe method whose effect is not its own:
   * a method override (`X-HTTP-Method-Override` header, `_method` parameter), a recognized
   * operation that changes something (`GET iam.amazonaws.com/?Action=CreateUser`), or a URL that
   * cannot be analyzed.
   */
  readonly mutating: boolean
  /** The port the request connects to: the explicit one, else 443 for https and 80 for http; 0 when the URL cannot be analyzed. */
  readonly port: number
  /** `http` or `https`; the scheme as written (lower-case) when it is another one, `""` when there is none. */
  readonly scheme: string
  /** The normalized URL: no credentials, no default port, no fragment, credential-like query values `(redacted)`. `""` when the URL cannot be analyzed. */
  readonly url: string
  /** The recognized API (`github`, `aws.iam`, `aws.sts`, `gcp.cloudresourcemanager`…); `""` when unknown. */
  readonly service: string
  /** The recognized operation (`repos.delete`, `CreateAccessKey`, `setIamPolicy`…); `""` when unknown. */
  readonly operation: string
  /**
   * The request administers identity, access, an organization or repository settings (GitHub
   * collaborators and branch protection, AWS IAM changes and `AssumeRole*`, GCP `setIamPolicy`…).
   * Also true when that cannot be ruled out: a URL that cannot be analyzed, a method override
   * that could turn it into such an operation, or a `Host` header of the request's own.
   */
  readonly admin: boolean
  /** Names of the headers sent, lower-case, each once, in the order given. Never their values. */
  readonly headers: readonly string[]
  /** Top-level keys of a JSON object body, or the field names of a form body (urlencoded or multipart). `[]` otherwise. */
  readonly body_keys: readonly string[]
  /** Why the URL cannot be analyzed (not a URL, or not http/https); `""` otherwise. */
  readonly parse_error: string
}
