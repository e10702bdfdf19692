import type { TroveClient } from '../client.js'

/** The server takes at most this many names per resolve. */
const RESOLVE_BATCH = 1000

export interface Resolved {
  /** by the name as declared (Trove treats hf-token and hf_token as one secret) */
  values: Map<string, string>
  missing: string[]
}

/**
 * Values of the named secrets: one POST /v1/secrets/resolve for any real config, so a model
 * never starts with half of its secrets from one moment and half from another.
 */
export async function resolveSecrets (client: TroveClient, team: string | undefined, names: readonly string[]): Promise<Resolved> {
  const unique = [...new Set(names)]
  const values = new Map<string, string>()
  const missing: string[] = []
  if (unique.length === 0) return { values, missing }
  const path = await client.scoped(team, '/secrets/resolve')
  for (let i = 0; i < unique.length; i += RESOLVE_BATCH) {
    const batch = unique.slice(i, i + RESOLVE_BATCH)
    const answer = await client.json<{ secrets: Record<string, string>, missing: string[] }>('POST', path, { json: { names: batch } })
    for (const name of batch) {
      // own properties only: a secret may be called __proto__
      if (Object.hasOwn(answer.secrets, name)) values.set(name, answer.secrets[name] as string)
    }
    missing.push(...answer.missing)
  }
  return { values, missing }
}

/** In the spirit of Truss's own "Secret '…' not found. Please ensure that …" error. */
export function missingSecretLine (name: string, team: string | undefined): string {
  const teamFlag = team === undefined ? '' : ` --team ${team}`
  return `Secret '${name}' not found. Please ensure that it is defined in Trove (trove secret set ${name}${teamFlag}).`
}
