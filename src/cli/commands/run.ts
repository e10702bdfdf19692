import type { Command } from 'commander'
import { CliError } from '../errors.js'
import { clientOf, optionsOf, type TeamOption, withConnection, withTeam } from '../options.js'
import { note, plural } from '../output.js'

/** `trove run --config config.yaml -- CMD ARGS…`: a model server started with its secrets. */
export function registerRunCommand (program: Command): void {
  withTeam(withConnection(program.command('run')))
    .description('run CMD with the secrets config.yaml declares, as TRUSS_SECRET_{name} variables and as files in a private folder ($TRUSS_SECRETS_DIR) that is removed when CMD ends; exits with CMD\'s code')
    .usage('--config <config> [options] -- <cmd> [args...]')
    .requiredOption('--config <config>', 'a Truss config.yaml (or the Truss folder)')
    .argument('<cmd...>', 'the command and its arguments (after --)')
    // everything after the command's name belongs to the command, flags included
    .passThroughOptions()
    .action(async (cmd: string[], _options: unknown, command: Command) => {
      const options = optionsOf<TeamOption & { config: string }>(command)
      const { readTrussConfig, requireUsable } = await import('../truss/config.js')
      const { resolveSecrets, missingSecretLine } = await import('../truss/resolve.js')
      const { runWithSecrets } = await import('../truss/run.js')
      const config = await readTrussConfig(options.config)
      requireUsable(config)
      const { values, missing } = await resolveSecrets(clientOf(command), options.team, config.secrets.map(s => s.name))
      if (missing.length > 0) {
        for (const name of missing) note(missingSecretLine(name, options.team))
        throw new CliError(`${plural(missing.length, 'declared secret is', 'declared secrets are')} missing; ${cmd[0] ?? 'the command'} was not run`)
      }
      process.exitCode = await runWithSecrets(cmd, values)
    })
}
