/** What the analyzer reads from a request body. Values stay here, for recognizers; only `keys` become facts. */
export interface RequestBody {
  /** Top-level keys of a JSON object, or form field names, each once. */
  readonly keys: readonly string[]
  /** Form fields of a urlencoded body (also of a string body without a content type), for recognizers. */
  readonly form: URLSearchParams
  /** The body as a JSON value: the payload's body, or a string body parsed as JSON when it is one; `undefined` otherwise. */
  readonly json: unknown
}

const NO_BODY: RequestBody = { keys: [], form: new URLSearchParams(), json: undefined }

/** `multipart/form-data; boundary=x` → `multipart/form-data`; `""` when absent. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/**
 * Reads a body (any JSON value, or a string sent as is) according to its media type. A JSON
 * object body gives its keys; a string is read as JSON when it is JSON, as form fields when
 * urlencoded (or when no type says otherwise and it looks like `a=1&b=2`), as multipart parts
 * when multipart.
 */
export function readBody(body: unknown, media: string, contentType: string | undefined): RequestBody {
  if (body === undefined || body === null) return NO_BODY
  if (typeof body !== 'string') return fromJson(body)
  if (media === 'multipart/form-data') return { ...NO_BODY, keys: multipartNames(body, contentType ?? '') }
  const json = media === '' || isJsonMedia(media) ? parseJson(body) : undefined
  if (json !== undefined) return fromJson(json)
  if (media === 'application/x-www-form-urlencoded' || (media === '' && /^[^=&\s]+=[^\s]*$/.test(body))) {
    const form = new URLSearchParams(body)
    return { keys: [...new Set(form.keys())], form, json: undefined }
  }
  return NO_BODY
}

function fromJson(json: unknown): RequestBody {
  const keys = json !== null && typeof json === 'object' && !Array.isArray(json) ? Object.keys(json) : []
  return { keys, form: new URLSearchParams(), json }
}

/** `application/json`, `application/vnd.github+json`, `application/x-amz-json-1.1`, `application/graphql-response+json`. */
function isJsonMedia(media: string): boolean {
  return /^application\/([\w.-]+\+)?json$/.test(media) || /^application\/x-amz-json-[\d.]+$/.test(media)
}

function parseJson(text: string): unknown {
  const trimmed = text.trim()
  if (!/^[[{"]/.test(trimmed)) return undefined
  try {
    return JSON.parse(trimmed) as unknown
  } catch {
    return undefined
  }
}

/** Names of the parts of a multipart/form-data body (`Content-Disposition: form-data; name="…"`). */
function multipartNames(body: string, contentType: string): string[] {
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType)
  const delimiter = boundary?.[1] ?? boundary?.[2]
  if (delimiter === undefined) return []
  const names: string[] = []
  for (const part of body.split(`--${delimiter}`)) {
    const name = /^content-disposition:[^\r\n]*?;\s*name="([^"]*)"/im.exec(part)?.[1]
    if (name !== undefined && !names.includes(name)) names.push(name)
  }
  return names
}
