import { chmod, mkdir, readFile, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { CliError, describeSystemError } from '../errors.js'
import { syncDir, TEMP_PREFIX, writeFileAtomic } from '../files.js'
import { isSecretName } from './config.js'

/**
 * Secrets as files, the way Truss mounts them: `DIR/{name}` holding the exact bytes (Truss reads
 * the file raw; a custom image's start_command does `$(cat /secrets/name)`), mode 0400 in a 0700
 * folder. A manifest records what Trove wrote, so a secret dropped from the config is removed next
 * time, and a file Trove did not write is never touched.
 */
export const MANIFEST = '.trove-materialized'
const SECRET_MODE = 0o400
const DIR_MODE = 0o700

export interface Materialized {
  dir: string
  written: string[]
  removed: string[]
}

/** Names that would collide with the manifest or the temporary files. */
export function checkFileNames (names: Iterable<string>): void {
  for (const name of names) {
    if (!isSecretName(name) || name.startsWith('.trove-')) {
      throw new CliError(`secret "${name}" cannot be written as a file: names starting with .trove- are reserved for ${MANIFEST} and ${TEMP_PREFIX}* files`)
    }
  }
}

/** Creates the folder (0700), or tightens an existing one of ours to 0700. */
export async function prepareDir (dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE })
    const info = await stat(dir)
    if (!info.isDirectory()) throw new CliError(`${dir} is not a directory`)
    if ((info.mode & 0o777) !== DIR_MODE) await chmod(dir, DIR_MODE)
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(`cannot prepare ${dir} (mode 0700): ${describeSystemError(err)}`)
  }
}

export async function writeSecretFiles (dir: string, values: ReadonlyMap<string, string>): Promise<string[]> {
  const written: string[] = []
  for (const [name, value] of values) {
    try {
      await writeFileAtomic(join(dir, name), value, SECRET_MODE)
    } catch (err) {
      throw new CliError(`cannot write ${join(dir, name)}: ${describeSystemError(err)}`)
    }
    written.push(name)
  }
  return written
}

async function readManifest (dir: string): Promise<string[]> {
  const text = await readFile(join(dir, MANIFEST), 'utf8').catch(() => '')
  // only well-formed names: an edited manifest must not lead us to ../ or to our own files
  return text.split('\n').map(line => line.trim()).filter(line => isSecretName(line) && !line.startsWith('.trove-'))
}

async function writeManifest (dir: string, names: Iterable<string>): Promise<void> {
  const header = '# written by `trove truss materialize`: the files listed here are replaced or removed by its next run\n'
  await writeFileAtomic(join(dir, MANIFEST), header + [...names].map(name => `${name}\n`).join(''), 0o600)
}

/**
 * Writes every value, then removes the files of an earlier run that are no longer declared. The
 * manifest first lists old and new names together, so a crash half way leaves nothing untracked.
 */
export async function materialize (dir: string, values: ReadonlyMap<string, string>): Promise<Materialized> {
  checkFileNames(values.keys())
  await prepareDir(dir)
  const before = await readManifest(dir)
  const stale = before.filter(name => !values.has(name))
  try {
    await writeManifest(dir, new Set([...before, ...values.keys()]))
  } catch (err) {
    throw new CliError(`cannot write ${join(dir, MANIFEST)}: ${describeSystemError(err)}`)
  }
  const written = await writeSecretFiles(dir, values)
  const removed: string[] = []
  for (const name of stale) {
    try {
      await unlink(join(dir, name))
      removed.push(name)
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw new CliError(`cannot remove stale ${join(dir, name)}: ${describeSystemError(err)}`)
    }
  }
  await writeManifest(dir, values.keys())
  await syncDir(dir)
  return { dir, written, removed }
}
