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
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(4096)
    poolOffset = 0
  }
  let tail = ''
  // 256 is a multiple of 32: `byte % 32` is uniform.
  for (let i = poolOffset; i < poolOffset + 16; i++) tail += ALPHABET[pool[i]! % 32]
  poolOffset += 16
  return `act_${head}${tail}`
}

// Random bytes drawn 4 KiB at a time: one system call per 256 ids instead of one per id.
let pool = randomBytes(4096)
let poolOffset = 0

/**
 * The smallest action id of `time`'s millisecond: every action created at or after `time` has an
 * id `>=` it (ids sort by creation time), so a window of history is a range of the primary key.
 */
export function actionIdFloor(time: Date): string {
  let value = Math.max(0, time.getTime())
  let head = ''
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[value % 32]! + head
    value = Math.floor(value / 32)
  }
  return `act_${head}`
}
