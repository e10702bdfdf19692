// Names, values and the key shared by the seed script and the load generators.

/** The admin key: the seed registers it (TROVE_BOOTSTRAP_KEY), the load sends it. */
export const BENCH_KEY = 'bench-key-0123456789abcdef'

/** secret_0000000 … secret_0999999: fixed width, so names sort as their numbers do. */
export function secretName (i) {
  return `secret_${String(i).padStart(7, '0')}`
}

/** About the size of a real API token. */
export function seedValue (i) {
  return `seed-${i}-`.padEnd(48, 'x')
}

/**
 * The i-th name to ask for: a multiplicative hash spreads consecutive requests over the whole
 * store, so a large store is read all over and not from a few hot pages.
 */
export function spreadIndex (i, size) {
  return (Math.imul(i + 1, 0x9E3779B1) >>> 0) % size
}
