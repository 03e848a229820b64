import type { Assessment } from './assessment.js'

const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'fish', 'busybox', 'pwsh', 'powershell', 'cmd'])
/** Paths that hold credentials inside a container or on a node. */
const SECRET_PATHS = /\/var\/run\/secrets|\/run\/secrets|serviceaccount\/token|\/etc\/kubernetes\/(pki|admin\.conf|kubelet\.conf)|\.kube\/config|\/var\/lib\/kubelet\/pki/i
/** Programs that destroy data or stop things, also spotted inside `sh -c` strings. */
const DESTROYERS = /(^|[\s;&|(`/])(rm|rmdir|shred|dd|mkfs(\.\w+)?|wipefs|truncate|unlink|kill|killall|pkill|shutdown|reboot|halt|poweroff|dropdb)(?=$|[\s;&|)`])/
const QUOTE_MAX = 60

/**
 * Records a command run in a container (`exec`, `attach`, `run -- …`, `debug -- …`): interactive
 * access, with a look at the command for secret files read and obvious destruction. The command
 * is shown clipped, with credentials in it masked.
 *
 * @example describeExec(a, 'exec into pod web-1 in prod', ['sh'], true) // highlight: exec into pod web-1 in prod (interactive shell)
 */
export function describeExec(a: Assessment, phrase: string, command: readonly string[], interactive: boolean): void {
  const program = basename(command[0] ?? '')
  const line = command.join(' ')
  let how = ''
  if (command.length === 0) how = interactive ? ' (interactive, default command)' : ''
  else if (SHELLS.has(program) && (interactive || command.length === 1)) how = ' (interactive shell)'
  else how = ` (runs ${quote(maskCredentials(line))})`
  a.flagInteractive(`${phrase}${how}`)
  const secretPath = secretPathIn(line)
  if (secretPath !== null) a.flagSecrets(`reads credential files in the container (${secretPath})`)
  const destroyer = DESTROYERS.exec(command.map((word) => word.trim()).join(' '))
  if (destroyer) a.flagDestructive(`runs ${destroyer[2] ?? 'a destructive command'} in the container`)
}

/** The credential path a command or file path names (`/var/run/secrets/…`), or `null`. */
export function secretPathIn(text: string): string | null {
  return SECRET_PATHS.exec(text)?.[0] ?? null
}

/**
 * Masks what looks like a credential in a command line or flag: URL user info, `password=…`,
 * `--token …`, `-pSECRET` (mysql).
 */
export function maskCredentials(line: string): string {
  return line
    .replace(/:\/\/[^/@\s]+@/g, '://***@')
    .replace(/((?:pass(?:word)?|passwd|pwd|token|secret|api[-_]?key|auth)[=:])\S+/gi, '$1***')
    .replace(/(--?(?:pass(?:word)?|token|secret|api[-_]?key)\s+)\S+/gi, '$1***')
    .replace(/(^|\s)-p(?=\S)\S+/g, '$1-p***')
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function quote(text: string): string {
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX - 1)}…` : text
}
