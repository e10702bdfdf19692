import { AppError } from '../errors.js'
import type { Store } from '../store/store.js'
import { secretNameKey, secretNameProblem } from './names.js'
import { hasScope, type Principal } from './principal.js'
import { secretValueProblem, type SecretsService, type TeamRef } from './secrets-service.js'
import type { SecretFileFormat } from './secret-file-formats.js'

/** The codecs load the YAML parser: only when a file is imported or exported, not at start-up. */
const codecs = async () => await import('./secret-files.js')

export interface PlanItem {
  name: string
  action: 'create' | 'update' | 'unchanged' | 'invalid'
  reason?: string
}

/**
 * Import and export of whole files (dotenv, JSON, YAML). An import is planned by fingerprint
 * (no value is decrypted to compare) and applied in one transaction, or not at all.
 */
export function createTransferService (deps: { store: Store, secrets: SecretsService }) {
  const { store, secrets } = deps

  return {
    async importFile (principal: Principal, teamRef: TeamRef, format: SecretFileFormat, text: string, dryRun: boolean): Promise<{ plan: PlanItem[], applied: boolean }> {
      const team = await secrets.resolveTeam(principal, teamRef)
      const { entries, problems } = (await codecs()).parseSecretFile(format, text)
      // plan items in file order, where the format has lines
      const lines = new Map<PlanItem, number>()
      const plan: PlanItem[] = problems.map(problem => {
        const item: PlanItem = {
          name: problem.name ?? '',
          action: 'invalid',
          reason: problem.line === undefined ? problem.reason : `line ${problem.line}: ${problem.reason}`
        }
        if (problem.line !== undefined) lines.set(item, problem.line)
        return item
      })

      const seen = new Map<string, string>()
      const valid: { name: string, value: string, item: PlanItem }[] = []
      for (const entry of entries) {
        const nameKey = secretNameKey(entry.name)
        const reason = secretNameProblem(entry.name) ??
          secretValueProblem(entry.value)?.reason ??
          (seen.has(nameKey) ? `"${entry.name}" and "${seen.get(nameKey)}" name the same secret` : undefined)
        seen.set(nameKey, entry.name)
        const item: PlanItem = reason === undefined ? { name: entry.name, action: 'create' } : { name: entry.name, action: 'invalid', reason }
        plan.push(item)
        if (entry.line !== undefined) lines.set(item, entry.line)
        if (reason === undefined) valid.push({ ...entry, item })
      }
      plan.sort((a, b) => (lines.get(a) ?? Infinity) - (lines.get(b) ?? Infinity))

      const existing = new Map((await store.findSecrets(team.id, valid.map(v => secretNameKey(v.name)))).map(s => [s.nameKey, s]))
      // A dry run writes nothing and records nothing: telling `unchanged` from `update` there
      // would let a key that may not read values test guesses of them, silently, at the rate
      // limit. Such a key is told only that the secret exists.
      const compare = !dryRun || hasScope(principal.scopes, 'secrets:read')
      for (const entry of valid) {
        const current = existing.get(secretNameKey(entry.name))
        if (current !== undefined) entry.item.action = compare && current.fingerprint === secrets.fingerprint(entry.value) ? 'unchanged' : 'update'
      }

      const invalid = plan.filter(item => item.action === 'invalid').length
      if (dryRun) return { plan, applied: false }
      if (invalid > 0) {
        throw new AppError(400, 'invalid_import', `${invalid} entr${invalid === 1 ? 'y is' : 'ies are'} invalid; nothing was imported`, { details: { plan, applied: false } })
      }
      const changes = valid.filter(entry => entry.item.action !== 'unchanged')
      if (changes.length > 0) {
        await secrets.write(changes.map(entry => secrets.prepareUpsert(principal, team, entry.name, entry.value, undefined, `import (${format})`)))
      }
      return { plan, applied: true }
    },

    async exportFile (principal: Principal, teamRef: TeamRef, format: SecretFileFormat): Promise<string> {
      const team = await secrets.resolveTeam(principal, teamRef)
      const entries: { name: string, value: string }[] = []
      for (const secret of await store.listSecrets([team.id])) {
        entries.push({ name: secret.name, value: await secrets.readFor(principal, secret, secret.version, `export (${format})`) })
      }
      return (await codecs()).serializeSecretFile(format, entries)
    }
  }
}

export type TransferService = ReturnType<typeof createTransferService>
