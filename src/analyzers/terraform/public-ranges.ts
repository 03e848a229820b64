// Which source ranges let "the internet" in. Not only 0.0.0.0/0 and ::/0: the halves
// 0.0.0.0/1 + 128.0.0.0/1 are the classic way round a check for "0.0.0.0/0", so any range as wide
// as a /8 that covers public addresses counts, and so do the names clouds give to "anywhere".

/** Prefix lengths at or below which a range that covers public addresses counts as the internet. */
const WIDEST_V4 = 8
const WIDEST_V6 = 16

/** Azure service tags and wildcards for any source. */
const ANYWHERE: ReadonlySet<string> = new Set(['*', 'any', 'internet'])

/**
 * Whether a source (a CIDR, or a cloud's name for anywhere such as Azure's `*` and `Internet`)
 * opens to the internet: `0.0.0.0/0`, `::/0`, `0.0.0.0/1`, `3.0.0.0/8`, `2000::/3`. Private
 * and special ranges (`10.0.0.0/8`, `fc00::/7`) and narrow ones (`203.0.113.0/24`) do not.
 *
 * @example
 * isPublicRange('0.0.0.0/0') // true
 * isPublicRange('10.0.0.0/8') // false
 */
export function isPublicRange(source: string): boolean {
  const text = source.trim().toLowerCase()
  if (ANYWHERE.has(text)) return true
  const slash = text.indexOf('/')
  if (slash === -1) return false
  const address = text.slice(0, slash)
  const prefixText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText)) return false
  const prefix = Number(prefixText)
  if (address.includes(':')) return prefix <= WIDEST_V6 && coversGlobalV6(address, prefix)
  return prefix <= WIDEST_V4 && coversPublicV4(address, prefix)
}

/** Whether the range's /8 blocks include one of public unicast addresses. */
function coversPublicV4(address: string, prefix: number): boolean {
  const first = firstOctet(address)
  if (first === null) return false
  const size = 2 ** (WIDEST_V4 - prefix)
  const start = first - (first % size)
  for (let octet = start; octet < start + size; octet++) {
    // 0/8 "this network", 10/8 private, 127/8 loopback, 224/3 multicast and reserved.
    if (octet !== 0 && octet !== 10 && octet !== 127 && octet < 224) return true
  }
  return false
}

function firstOctet(address: string): number | null {
  const parts = address.split('.')
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return null
  return Number(parts[0])
}

/** Whether the range's first 16 bits overlap global unicast, 2000::/3. */
function coversGlobalV6(address: string, prefix: number): boolean {
  const head = address.startsWith('::') ? '0' : (address.split(':')[0] ?? '')
  if (!/^[0-9a-f]{1,4}$/.test(head)) return false
  const group = Number.parseInt(head, 16)
  const size = 2 ** (WIDEST_V6 - prefix)
  const start = group - (group % size)
  return start <= 0x3fff && start + size - 1 >= 0x2000
}

/** Whether an IPv4 address range `start`–`end` (Azure firewall rules) spans a public /8 or more. */
export function isPublicSpan(start: string, end: string): boolean {
  const from = ipv4Number(start)
  const to = ipv4Number(end)
  if (from === null || to === null || to < from) return false
  if (to - from + 1 < 2 ** (32 - WIDEST_V4)) return false
  for (let octet = Math.floor(from / 2 ** 24); octet <= Math.floor(to / 2 ** 24); octet++) {
    if (octet !== 0 && octet !== 10 && octet !== 127 && octet < 224) return true
  }
  return false
}

function ipv4Number(address: string): number | null {
  const parts = address.trim().split('.')
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return null
  return parts.reduce((total, part) => total * 256 + Number(part), 0)
}
