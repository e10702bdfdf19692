import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { RotationStatus } from '../../ops/rotation.js'
import { CliError, describeSystemError } from '../errors.js'
import { writeFileAtomic } from '../files.js'
import { clientOf, optionsOf, withCommon } from '../options.js'
import { note, out, printJson } from '../output.js'

/** What `trove rotate --status` prints. */
function describeRotation (status: RotationStatus): string {
  switch (status.state) {
    case 'running': return `Rotating to key term ${status.active_term}: ${status.rewrapped} of ${status.total} values re-encrypted, ${status.remaining} to go`
    case 'failed': return `The rotation to key term ${status.active_term} failed (${status.remaining} values left under older terms); see the server log, then run trove rotate again`
    case 'idle': return `No rotation running; key term ${status.active_term} is active; terms in use: ${status.terms.join(', ')}`
  }
}

/** A one-line progress bar on a terminal; nothing when stderr is not one. */
function progress (status: RotationStatus): void {
  if (process.stderr.isTTY !== true) return
  const done = status.total === 0 ? 1 : status.rewrapped / status.total
  const width = 30
  const filled = Math.round(done * width)
  process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${status.rewrapped}/${status.total} re-encrypted`)
}

/** `trove backup`, `trove restore`, `trove rotate`, `trove rekey`: operating a store. */
export function registerOpsCommands (program: Command): void {
  withCommon(program.command('backup'))
    .description('save a consistent, checked snapshot of a running server\'s database (admin key)')
    .requiredOption('--out <file>', 'where to write the backup (written atomically, mode 0600)')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf<{ out: string }>(command)
      const started = performance.now()
      const { body, headers } = await clientOf(command).bytes('GET', '/v1/sys/backup')
      try {
        await writeFileAtomic(options.out, body, 0o600)
      } catch (err) {
        throw new CliError(`cannot write ${options.out}: ${describeSystemError(err)}`)
      }
      const report = { file: resolve(options.out), bytes: body.length, versions: Number(headers.get('x-trove-backup-versions') ?? 0), ms: Math.round(performance.now() - started) }
      if (options.json === true) return printJson(report)
      out(`Backup written to ${options.out}: ${(report.bytes / 1024 / 1024).toFixed(2)} MiB, ${report.versions} stored values checked, ${report.ms} ms`)
      note('Keep the master key apart from the backup: the backup is only as safe as that key.')
    })

  program.command('restore')
    .description('restore a backup into an empty data folder (offline: the server must not be running on it)')
    .argument('<file>', 'the backup file')
    .option('--data-dir <dir>', 'the data folder (default: $TROVE_DATA_DIR or ./data)')
    .option('--db <path>', 'the database file (default: $TROVE_DB or <data-dir>/trove.db)')
    .option('--master-key-file <file>', 'the master key the backup was made under (default: $TROVE_MASTER_KEY_FILE)')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(async (file: string, options: { dataDir?: string, db?: string, masterKeyFile?: string, json?: boolean }) => {
      const { loadConfig } = await import('../../config.js')
      const { restoreBackup } = await import('../../ops/restore.js')
      const config = loadConfig({
        ...process.env,
        ...(options.dataDir === undefined ? {} : { TROVE_DATA_DIR: options.dataDir }),
        ...(options.db === undefined ? {} : { TROVE_DB: options.db }),
        ...(options.masterKeyFile === undefined ? {} : { TROVE_MASTER_KEY_FILE: options.masterKeyFile })
      })
      try {
        statSync(file)
      } catch {
        throw new CliError(`cannot read the backup ${file}`)
      }
      const report = await restoreBackup({ file, dataDir: config.dataDir, dbPath: config.dbPath, masterKeyFile: config.masterKeyFile, masterKey: config.masterKey })
      if (report.tamperedKeys.length > 0) {
        note(`warning: API key rows fail their integrity check (changed outside Trove), so Trove will refuse these keys: ${report.tamperedKeys.join(', ')}; revoke them once Trove runs`)
      }
      if (options.json === true) return printJson(report)
      out(`Restored ${file} into ${report.dbPath}: ${report.versions} stored values checked with the master key`)
    })

  withCommon(program.command('rotate'))
    .description('start a key rotation: new writes use a new data key, stored values are re-encrypted to it (admin key)')
    .option('--no-wait', 'start it and return without waiting for the re-encryption')
    .option('--status', 'show the progress of the current or last rotation; starts none')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf<{ wait: boolean, status?: boolean }>(command)
      const client = clientOf(command)
      if (options.status === true) {
        const status = await client.json<RotationStatus>('GET', '/v1/sys/rotation')
        if (options.json === true) return printJson(status)
        return out(describeRotation(status))
      }
      let status = await client.json<RotationStatus>('POST', '/v1/sys/rotate')
      while (options.wait && status.state === 'running') {
        progress(status)
        await new Promise(resolve => setTimeout(resolve, 250))
        status = await client.json<RotationStatus>('GET', '/v1/sys/rotation')
      }
      if (process.stderr.isTTY === true && options.wait) process.stderr.write('\n')
      if (options.json === true) printJson(status)
      if (status.state === 'failed') throw new CliError('the rotation failed; see the server log, then run trove rotate again')
      if (options.json !== true) {
        out(status.state === 'running'
          ? `Rotation to key term ${status.active_term} started: ${status.remaining} of ${status.total} values still to re-encrypt (trove rotate --status shows progress)`
          : `Rotated to key term ${status.active_term}: ${status.rewrapped} values re-encrypted; terms in use: ${status.terms.join(', ')}`)
      }
    })

  withCommon(program.command('rekey'))
    .description('re-wrap the keyring under a new master key; the old one stops working (admin key)')
    .requiredOption('--new-master-key-file <file>', 'a file the SERVER can read holding the new key (base64, mode 0600)')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf<{ newMasterKeyFile: string }>(command)
      const answer = await clientOf(command).json<{ rekeyed: boolean, keyring_entries: number }>('POST', '/v1/sys/rekey', {
        json: { new_master_key_file: resolve(options.newMasterKeyFile) }
      })
      if (options.json === true) return printJson(answer)
      out(`The keyring (${answer.keyring_entries} entries) is now wrapped under the new master key.`)
      note('The old master key no longer opens this store: start Trove with TROVE_MASTER_KEY_FILE pointing at the new one, and keep a copy apart.')
    })
}
