/** Who is calling: resolved from the API key on every request. */
export interface Principal {
  keyId: string
  scopes: readonly string[]
  /** team ids the key may use; null means every team */
  teams: readonly string[] | null
}
