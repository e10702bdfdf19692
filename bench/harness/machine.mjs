// The machine and the code a run measured: ratios travel between machines, absolute numbers do not.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg, release, totalmem } from 'node:os'
import { ROOT } from './processes.mjs'

function cpuModel () {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1] ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

function git (...args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

export function describeMachine () {
  return {
    nproc: availableParallelism(),
    cpu: cpuModel(),
    memoryGiB: Math.round(totalmem() / 1024 ** 3 * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverage: loadavg().map(n => Math.round(n * 100) / 100)
  }
}

/** The commit, and whether src/ differs from it (optimisations in progress). */
export function describeCode () {
  const changed = git('status', '--porcelain', '--', 'src', 'migrations')
  return { commit: git('rev-parse', '--short', 'HEAD'), srcChanged: changed === undefined ? undefined : changed.length > 0 }
}
