import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Temporary files start with this, so a reader of the folder can tell them apart from secrets. */
export const TEMP_PREFIX = '.trove-tmp-'

/**
 * Writes a file so that readers see the old bytes or the new ones, never a half: a temporary file
 * in the same folder (same file system, so rename is atomic), flushed to disk, renamed over the
 * target, then the folder flushed so the rename survives a crash.
 */
export async function writeFileAtomic (path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path)
  const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`)
  const file = await open(temp, 'wx', mode)
  try {
    // the umask may have taken bits from `mode`; the file must end up exactly as asked
    await file.chmod(mode)
    await file.writeFile(data)
    await file.sync()
  } catch (err) {
    await file.close()
    await unlink(temp).catch(() => {})
    throw err
  }
  await file.close()
  try {
    await rename(temp, path)
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw err
  }
  await syncDir(dir)
}

/** fsync on a folder makes its entries (renames, removals) durable; a few file systems refuse it. */
export async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined)
  if (handle === undefined) return
  await handle.sync().catch(() => {})
  await handle.close()
}

export function isTemporary (path: string): boolean {
  return basename(path).startsWith(TEMP_PREFIX)
}
