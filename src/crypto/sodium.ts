import sodium from 'libsodium-wrappers'

let ready: Promise<typeof sodium> | undefined

/**
 * The only importer of libsodium-wrappers. Its functions exist only after `ready` resolves, so
 * every user awaits this once at start-up and then calls the returned module synchronously.
 * @see https://github.com/jedisct1/libsodium.js#usage-as-a-module
 */
export function loadSodium (): Promise<typeof sodium> {
  ready ??= sodium.ready.then(() => sodium)
  return ready
}

export type Sodium = typeof sodium
