import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

/**
 * A new action id: `act_` + 10 characters of millisecond time + 16 random ones (Crockford
 * base32, lower-case). Ids sort by creation time, which gives the list its order and cursor.
 */
export function newActionId(now: Date): string {
  let time = now.getTime()
  let head = ''
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32]! + head
    time = Math.floor(time / 32)
  }
  const random = randomBytes(16)
  let tail = ''
  for (const byte of random) tail += ALPHABET[byte % 32]
  return `act_${head}${tail}`
}

/** True when `id` has the shape of an action id (checked before it reaches a query). */
export function isActionId(id: string): boolean {
  return /^act_[0-9a-hjkmnp-tv-z]{26}$/.test(id)
}
