import { randomBytes } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { StartupError } from '../errors.js'

export const MASTER_KEY_BYTES = 32

/** Decodes a base64 master key; `origin` names where it came from in the error. */
export function parseMasterKey (text: string, origin: string): Buffer {
  const trimmed = text.trim()
  const key = Buffer.from(trimmed, 'base64')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || key.length !== MASTER_KEY_BYTES) {
    throw new StartupError(`${origin} must hold ${MASTER_KEY_BYTES} random bytes in base64 (make one with: openssl rand -base64 32)`)
  }
  return key
}

/**
 * Reads a master key file, refusing one that other users could read or change: a key file with
 * loose permissions is a key that has probably leaked.
 */
export function readMasterKeyFile (path: string, origin: string): Buffer {
  let mode: number
  try {
    mode = statSync(path).mode
  } catch {
    throw new StartupError(`${origin}: cannot read the master key file ${path}`)
  }
  if ((mode & 0o077) !== 0) {
    throw new StartupError(`${origin}: the master key file ${path} is readable or writable by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`)
  }
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new StartupError(`${origin}: cannot read the master key file ${path}`)
  }
  return parseMasterKey(text, `${origin} (${path})`)
}

/** Writes a new random master key; 'wx' makes sure an existing key is never overwritten. */
export function generateMasterKeyFile (path: string): Buffer {
  const key = randomBytes(MASTER_KEY_BYTES)
  writeFileSync(path, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' })
  return key
}
