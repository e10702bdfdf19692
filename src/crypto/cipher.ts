import { randomFillSync } from 'node:crypto'
import { IntegrityError } from '../errors.js'
import type { Sodium } from './sodium.js'

/**
 * Ciphertext blob: fmt(1) ‖ term(u32 BE) ‖ nonce(24) ‖ XChaCha20-Poly1305 ciphertext ‖ tag(16).
 * The term names the data key, so rotation needs no format change.
 * @see ../../shared/docs/security.md §3.2
 */
export const FORMAT_V1 = 0x01
const HEADER_BYTES = 5
const NONCE_BYTES = 24
const TAG_BYTES = 16
export const OVERHEAD_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES

/**
 * Length-prefixed fields, so "ab"+"c" and "a"+"bc" give different additional data.
 */
export function encodeContext (parts: readonly (string | number)[]): Buffer {
  const chunks: Buffer[] = []
  for (const part of parts) {
    const bytes = Buffer.from(String(part), 'utf8')
    const length = Buffer.alloc(2)
    length.writeUInt16BE(bytes.length)
    chunks.push(length, bytes)
  }
  return Buffer.concat(chunks)
}

export interface Cipher {
  /** Encrypts under `key`, binding the blob to `context` (its row) and to its own header. */
  seal (key: Uint8Array, term: number, context: readonly (string | number)[], plaintext: Uint8Array): Buffer
  /** @throws IntegrityError when the blob was changed, moved to another row or sealed with another key */
  open (keyForTerm: (term: number) => Uint8Array | undefined, context: readonly (string | number)[], blob: Uint8Array): Uint8Array
}

export function termOf (blob: Uint8Array): number {
  if (blob.length < OVERHEAD_BYTES || blob[0] !== FORMAT_V1) throw new IntegrityError()
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).readUInt32BE(1)
}

/**
 * Nonces come from a pool filled from node:crypto 256 at a time and never handed out twice: one
 * randomFillSync call per upsert showed as 5% of a durable write in the profile. A nonce is
 * public (it is stored in the blob), so drawing it early reveals nothing.
 */
const noncePool = Buffer.alloc(NONCE_BYTES * 256)
let nonceOffset = noncePool.length

function freshNonce (): Buffer {
  if (nonceOffset === noncePool.length) {
    randomFillSync(noncePool)
    nonceOffset = 0
  }
  const nonce = Buffer.from(noncePool.subarray(nonceOffset, nonceOffset + NONCE_BYTES))
  nonceOffset += NONCE_BYTES
  return nonce
}

export function createCipher (sodium: Sodium): Cipher {
  return {
    seal (key, term, context, plaintext) {
      const header = Buffer.alloc(HEADER_BYTES)
      header[0] = FORMAT_V1
      header.writeUInt32BE(term, 1)
      // node:crypto is ~20x faster than sodium.randombytes_buf in the WASM build (security.md §2)
      const nonce = freshNonce()
      const ad = Buffer.concat([header, encodeContext(context)])
      const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key)
      return Buffer.concat([header, nonce, sealed])
    },

    open (keyForTerm, context, blob) {
      const term = termOf(blob)
      const key = keyForTerm(term)
      if (key === undefined) throw new IntegrityError(`a stored value names an unknown key term ${term}`)
      const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength)
      const header = bytes.subarray(0, HEADER_BYTES)
      const nonce = bytes.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES)
      const sealed = bytes.subarray(HEADER_BYTES + NONCE_BYTES)
      const ad = Buffer.concat([header, encodeContext(context)])
      try {
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed, ad, nonce, key)
      } catch {
        throw new IntegrityError()
      }
    }
  }
}
