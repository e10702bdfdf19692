import { createHmac } from 'node:crypto'

/**
 * A short keyed hash of a value: equal values give equal fingerprints, so two teams, two
 * versions or an import file can be compared for drift, while the key (in the keyring) keeps
 * anyone from testing guesses against a fingerprint. 96 bits: short to read, far too many to
 * collide by chance.
 */
export function fingerprintValue (key: Uint8Array, plaintext: Uint8Array): string {
  return 'fp_' + createHmac('sha256', key).update(plaintext).digest().subarray(0, 12).toString('base64url')
}
