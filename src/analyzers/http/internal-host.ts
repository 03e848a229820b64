/** Cloud instance metadata services: a request there can read the machine's own credentials. */
const METADATA_HOSTS: ReadonlySet<string> = new Set(['169.254.169.254', 'metadata.google.internal', 'metadata', '[fd00:ec2::254]', '100.100.100.200'])

/**
 * What kind of internal destination a normalized host is, for a highlight: `the cloud metadata
 * service`, `a loopback address`, `a private address`, `an internal name`; `""` for others.
 * Hosts come from the WHATWG parser, so `0x7f.1` is already `127.0.0.1` and IPv6 is compressed.
 */
export function internalHostKind(host: string): string {
  if (METADATA_HOSTS.has(host)) return 'the cloud metadata service'
  const ipv4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host)?.slice(1).map(Number)
  if (ipv4 !== undefined) return ipv4Kind(ipv4)
  if (host.startsWith('[')) return ipv6Kind(host.slice(1, -1))
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a loopback address'
  if (/\.(internal|local|localdomain|lan|intranet|corp|home\.arpa)$/.test(host) || !host.includes('.')) return 'an internal name'
  return ''
}

function ipv4Kind([a = 0, b = 0]: readonly number[]): string {
  if (a === 127 || a === 0) return 'a loopback address'
  if (a === 169 && b === 254) return 'a link-local address'
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'a private address'
  return ''
}

function ipv6Kind(address: string): string {
  if (address === '::1' || address === '::') return 'a loopback address'
  // IPv4-mapped (`::ffff:7f00:1`, as the parser writes `::ffff:127.0.0.1`): judge the IPv4 address.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address)
  if (mapped !== null) {
    const high = Number.parseInt(mapped[1] as string, 16)
    const low = Number.parseInt(mapped[2] as string, 16)
    return ipv4Kind([high >> 8, high & 255, low >> 8, low & 255])
  }
  if (/^fe[89ab]/.test(address)) return 'a link-local address'
  if (/^f[cd]/.test(address)) return 'a private address'
  return ''
}
