import type { Command } from 'commander'
import { CliError } from '../errors.js'
import { clientOf, optionsOf, type TeamOption, withCommon, withTeam } from '../options.js'
import { note, out, plural, printJson } from '../output.js'

/**
 * `trove truss …`: secrets for Truss model servers. The Truss modules (and the YAML parser) are
 * imported when a command runs, so the other commands start without them.
 */
export function registerTrussCommands (program: Command): void {
  const truss = program.command('truss').description('deliver secrets to Truss model servers (config.yaml `secrets:`)')

  withTeam(withCommon(truss.command('check')))
    .description('fail when config.yaml holds a secret value instead of null, and list declared secrets missing from Trove')
    .argument('<config>', 'a Truss config.yaml (or the Truss folder)')
    .option('--offline', 'only read the file; do not ask Trove which secrets exist')
    .action(async (file: string, _options: unknown, command: Command) => {
      const options = optionsOf<TeamOption & { offline?: boolean }>(command)
      const { readTrussConfig, formatFinding } = await import('../truss/config.js')
      const { resolveSecrets } = await import('../truss/resolve.js')
      const config = await readTrussConfig(file)
      const findings = [...config.errors]
      for (const secret of config.secrets) {
        if (secret.holdsValue) {
          findings.push({ line: secret.valueLine ?? secret.line, name: secret.name, message: `secret "${secret.name}" holds a value; use null and store the value in Trove` })
        }
      }
      let missing: string[] = []
      if (options.offline !== true && config.secrets.length > 0) {
        // resolve answers which names exist in one round trip; the values are dropped unread
        const teamFlag = options.team === undefined ? '' : ` --team ${options.team}`
        missing = (await resolveSecrets(clientOf(command), options.team, config.secrets.map(s => s.name))).missing
        for (const secret of config.secrets.filter(s => missing.includes(s.name))) {
          findings.push({ line: secret.line, name: secret.name, message: `secret "${secret.name}" is not in Trove; store it with: trove secret set ${secret.name}${teamFlag}` })
        }
      }
      findings.sort((a, b) => a.line - b.line)
      if (options.json === true) {
        printJson({
          config: config.path,
          ok: findings.length === 0,
          secrets: config.secrets.map(s => ({ name: s.name, line: s.line, holds_value: s.holdsValue })),
          missing: options.offline === true ? null : missing,
          problems: findings
        })
      } else {
        for (const finding of findings) note(formatFinding(config.path, finding))
      }
      if (findings.length > 0) {
        process.exitCode = 1
        return
      }
      if (options.json !== true) {
        const where = options.offline === true ? '' : ', all of them in Trove'
        out(`${config.path}: ${plural(config.secrets.length, 'secret')} declared${config.secrets.length === 0 ? '' : `, all null${where}`}`)
      }
    })

  withTeam(withCommon(truss.command('materialize')))
    .description('write each declared secret to DIR/{name} (mode 0400, folder 0700) as Truss mounts them; all or nothing')
    .argument('<config>', 'a Truss config.yaml (or the Truss folder)')
    .option('--dir <dir>', 'where to write the files', '/secrets')
    .option('--env', 'print `export TRUSS_SECRET_{name}=…` lines for a shell to eval instead of writing files')
    .action(async (file: string, _options: unknown, command: Command) => {
      const options = optionsOf<TeamOption & { dir: string, env?: boolean }>(command)
      const { readTrussConfig, requireUsable } = await import('../truss/config.js')
      const { resolveSecrets, missingSecretLine } = await import('../truss/resolve.js')
      const config = await readTrussConfig(file)
      requireUsable(config)
      const { values, missing } = await resolveSecrets(clientOf(command), options.team, config.secrets.map(s => s.name))
      if (missing.length > 0) {
        if (options.json === true) printJson({ missing })
        for (const name of missing) note(missingSecretLine(name, options.team))
        throw new CliError(`${plural(missing.length, 'declared secret is', 'declared secrets are')} missing; nothing was written`)
      }

      if (options.env === true) {
        const { envName, exportLine, isShellVariable } = await import('../truss/shell.js')
        if (options.json === true) return printJson({ env: Object.fromEntries([...values].map(([name, value]) => [envName(name), value])) })
        for (const [name, value] of values) {
          if (isShellVariable(envName(name))) out(exportLine(name, value))
          else note(`trove: ${envName(name)} cannot be a shell variable (- or . in the name); skipped: read the file or use trove run`)
        }
        return
      }

      const { materialize } = await import('../truss/materialize.js')
      const result = await materialize(options.dir, values)
      if (options.json === true) return printJson(result)
      const removed = result.removed.length === 0 ? '' : `; removed ${plural(result.removed.length, 'stale file')} (${result.removed.join(', ')})`
      out(`Wrote ${plural(result.written.length, 'secret')} to ${result.dir}${removed}`)
    })

  withTeam(withCommon(truss.command('pull')))
    .description('write secret values into ~/.truss/config.yaml (the file Truss reads on local runs), changing nothing else in it')
    .option('--config <config>', 'only the secrets this Truss config.yaml declares (default: every secret of the team, see --team)')
    .option('--truss-config <file>', 'the Truss settings file (default: ~/.truss/config.yaml)')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf<TeamOption & { config?: string, trussConfig?: string }>(command)
      const { resolveSecrets, missingSecretLine } = await import('../truss/resolve.js')
      const { defaultTrussConfig, writeLocalSecrets } = await import('../truss/local-config.js')
      const client = clientOf(command)
      let names: string[]
      if (options.config !== undefined) {
        const { readTrussConfig, requireUsable } = await import('../truss/config.js')
        const config = await readTrussConfig(options.config)
        requireUsable(config)
        names = config.secrets.map(s => s.name)
      } else {
        const listed = await client.json<{ secrets: { name: string }[] }>('GET', await client.scoped(options.team, '/secrets'))
        names = listed.secrets.map(s => s.name)
      }
      const { values, missing } = await resolveSecrets(client, options.team, names)
      if (options.config !== undefined && missing.length > 0) {
        for (const name of missing) note(missingSecretLine(name, options.team))
        throw new CliError(`${plural(missing.length, 'declared secret is', 'declared secrets are')} missing; nothing was written`)
      }
      // without a config, names listed from the key's other teams do not resolve in its own team
      const file = options.trussConfig ?? defaultTrussConfig()
      await writeLocalSecrets(file, values)
      if (options.json === true) return printJson({ truss_config: file, written: [...values.keys()] })
      out(`Wrote ${plural(values.size, 'secret')} to ${file}`)
    })
}
