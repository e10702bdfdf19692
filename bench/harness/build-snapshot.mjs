// A private copy of dist/ and migrations/ taken at the start of a run: a rebuild during a long
// run (by someone else on a shared machine) must not change the code halfway. The copy sits
// inside the repository, so dist/store/sqlite finds ../../../migrations as in the original and
// packages resolve from the repository's node_modules.
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, trackDir } from './processes.mjs'

export function snapshotBuild () {
  const dir = join(ROOT, 'bench', 'results', `build-${process.pid}`)
  trackDir(dir)
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true })
  cpSync(join(ROOT, 'migrations'), join(dir, 'migrations'), { recursive: true })
  return { dir, serverEntry: join(dir, 'dist', 'server.js'), distDir: join(dir, 'dist'), migrationsDir: join(dir, 'migrations') }
}
