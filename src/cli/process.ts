import { CommanderError } from 'commander'
import { StartupError } from '../errors.js'
import { CliError } from './errors.js'

/**
 * How the CLI ends: every failure becomes one line on stderr and an exit code (1 failed,
 * 2 usage), never a stack trace. `trove serve` hands these back to the server, whose crashes
 * should be loud and whose log pipe closing is not a quiet success.
 */
export function reportError (err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has printed its message (or the help); a help request is a success
    return err.exitCode === 0 ? 0 : 2
  }
  if (err instanceof CliError) {
    process.stderr.write(`trove: ${err.message}\n`)
    return err.exitCode
  }
  // what opening a store refuses (a wrong master key, a folder in use) is written for operators
  // and holds no data: a failure like any other, not a bug
  if (err instanceof StartupError) {
    process.stderr.write(`trove: ${err.message}\n`)
    return 1
  }
  const error = err instanceof Error ? err : new Error(String(err))
  process.stderr.write(`trove: unexpected error: ${error.name}: ${error.message}\n`)
  return 1
}

function onUncaught (err: Error): void {
  process.exitCode = reportError(err)
  process.exit()
}

// `trove secret list | head -1` closes the pipe early: that is not an error
function onStdoutError (err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
}

export function installProcessHandlers (): void {
  process.on('uncaughtException', onUncaught)
  process.stdout.on('error', onStdoutError)
}

export function removeProcessHandlers (): void {
  process.off('uncaughtException', onUncaught)
  process.stdout.off('error', onStdoutError)
}
