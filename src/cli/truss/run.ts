import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { constants, tmpdir } from 'node:os'
import { join } from 'node:path'
import { CliError, describeSystemError } from '../errors.js'
import { checkFileNames, writeSecretFiles } from './materialize.js'
import { envName } from './shell.js'

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

function signalExitCode (signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0)
}

/**
 * Runs a command with the secrets both as `TRUSS_SECRET_{name}` variables and as files in a
 * private folder (`TRUSS_SECRETS_DIR`), like a Truss server sees them. Signals go to the command;
 * its exit code (or 128 + its signal) is the result; the folder is removed however it ends. Only
 * SIGKILL of the CLI itself can leave the folder behind: nothing can run after that.
 */
export async function runWithSecrets (command: readonly string[], values: ReadonlyMap<string, string>): Promise<number> {
  const [file, ...args] = command
  if (file === undefined) throw new CliError('no command to run: trove run --config config.yaml -- CMD ARGS…')
  checkFileNames(values.keys())
  for (const [name, value] of values) {
    // the environment is C strings: a NUL would cut the value short, and Node refuses it
    if (value.includes('\0')) throw new CliError(`secret "${name}" holds a NUL character and cannot be passed as ${envName(name)}`)
  }

  let dir: string | undefined
  let child: ChildProcess | undefined
  const cleanUp = (): void => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  }
  // the last line of defence: an exit from anywhere (an error, process.exit) still removes the folder
  process.on('exit', cleanUp)
  const onSignal = (signal: NodeJS.Signals): void => {
    if (child !== undefined) {
      child.kill(signal)
      return
    }
    // interrupted before the command started: nothing to wait for
    cleanUp()
    process.exit(signalExitCode(signal))
  }
  for (const signal of FORWARDED) process.on(signal, onSignal)

  try {
    // mkdtemp makes the folder 0700: only this user can list or read it
    dir = await mkdtemp(join(tmpdir(), 'trove-run-'))
    await writeSecretFiles(dir, values)
    // the command gets its secrets, not the key that fetched them
    const { TROVE_API_KEY: _troveKey, BASETEN_API_KEY: _basetenKey, ...inherited } = process.env
    const env: NodeJS.ProcessEnv = { ...inherited, TRUSS_SECRETS_DIR: dir }
    for (const [name, value] of values) env[envName(name)] = value

    const started = spawn(file, args, { stdio: 'inherit', env })
    child = started
    return await new Promise<number>((resolve, reject) => {
      started.once('error', err => reject(new CliError(`cannot run ${file}: ${describeSystemError(err)}`, 127)))
      started.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : signalExitCode(signal))))
    })
  } finally {
    for (const signal of FORWARDED) process.off(signal, onSignal)
    cleanUp()
    process.off('exit', cleanUp)
  }
}
