import { BlockList, isIP } from 'node:net'
import type { MiddlewareHandler } from 'hono'

/** Who is on the other end of a request, as far as the gateway can tell. */
export interface ClientInfo {
  /** The client's IP address: the peer's, or what trusted proxies forwarded; `undefined` in-process. */
  readonly address: string | undefined
  /** The scheme the client used: `https` when a trusted proxy says so, else the connection's. */
  readonly proto: 'http' | 'https'
  /** The host the client asked for, as a trusted proxy forwarded it, else the Host header. */
  readonly host: string | undefined
  /** The peer's address when a trusted proxy spoke for the client. */
  readonly via?: string
}

/** The proxies a `server.trust_proxy` setting names: none, loopback (`true`), or a list. */
export function trustedProxies(setting: boolean | readonly string[]): BlockList | undefined {
  if (setting === false) return undefined
  const list = new BlockList()
  for (const entry of setting === true ? ['127.0.0.0/8', '::1'] : setting) {
    const [address = '', bits] = entry.split('/')
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(address, family)
    else list.addSubnet(address, Number(bits), family)
  }
  return list
}

function isTrusted(list: BlockList, address: string): boolean {
  const plain = unmapped(address)
  return list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4')
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1. */
function unmapped(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address
}

interface Hop {
  readonly for?: string | undefined
  readonly proto?: string | undefined
  readonly host?: string | undefined
}

/** `Forwarded` (RFC 7239): one hop per element, client first. */
function forwardedHops(header: string): Hop[] {
  return header.split(',').map((element) => {
    const hop: Record<string, string> = {}
    for (const pair of element.split(';')) {
      const at = pair.indexOf('=')
      if (at < 0) continue
      const key = pair.slice(0, at).trim().toLowerCase()
      hop[key] = pair.slice(at + 1).trim().replace(/^"(.*)"$/, '$1')
    }
    return { for: hop['for'] && nodeAddress(hop['for']), proto: hop['proto'], host: hop['host'] }
  })
}

/** The address of a `for=` node: `192.0.2.60`, `"[2001:db8::1]:4711"`, `192.0.2.60:8080`; not `unknown` or `_hidden`. */
function nodeAddress(node: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(node)
  const address = bracketed ? bracketed[1]! : isIP(node) ? node : node.replace(/:\d+$/, '')
  return isIP(address) ? address : undefined
}

/**
 * Sets `client` on each request. Forwarded headers are believed only from a trusted proxy, and
 * only as far as the chain of trusted proxies goes: walking the hops from the nearest, the client
 * is the first address that is not a trusted proxy, so a client cannot name itself by sending its
 * own `X-Forwarded-For` through the proxy. `Forwarded` wins over the `X-Forwarded-*` headers.
 * Without a trusted proxy (or in-process, without a socket) the connection speaks for itself.
 */
export function clientAddress(trusted: BlockList | undefined): MiddlewareHandler<{ Variables: { client: ClientInfo } }> {
  return async function clientAddress(c, next) {
    const socket = (c.env as { incoming?: { socket?: { remoteAddress?: string; encrypted?: boolean } } } | undefined)?.incoming?.socket
    const peer = socket?.remoteAddress && unmapped(socket.remoteAddress)
    const direct: ClientInfo = { address: peer, proto: socket?.encrypted ? 'https' : 'http', host: c.req.header('host') }
    if (!trusted || !peer || !isTrusted(trusted, peer)) {
      c.set('client', direct)
      return next()
    }
    const forwarded = c.req.header('forwarded')
    const hops: Hop[] = forwarded
      ? forwardedHops(forwarded)
      : (c.req.header('x-forwarded-for') ?? '').split(',').map((part) => ({ for: nodeAddress(part.trim()) }))
    // The nearest proxy's view of the scheme and host: only the last hop is the trusted peer's own word.
    const last = hops.at(-1)
    const proto = (forwarded ? last?.proto : c.req.header('x-forwarded-proto')?.split(',').at(-1))?.trim().toLowerCase()
    const host = (forwarded ? last?.host : c.req.header('x-forwarded-host')?.split(',').at(-1))?.trim()
    let address: string = peer
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = hops[index]!.for
      // An unreadable hop ends what can be known: the proxy that wrote it is the last address believed.
      if (hop === undefined) break
      address = hop
      if (!isTrusted(trusted, hop)) break
    }
    c.set('client', {
      address,
      proto: proto === 'https' || proto === 'http' ? proto : direct.proto,
      host: host || direct.host,
      ...(address !== peer && { via: peer }),
    })
    return next()
  }
}
