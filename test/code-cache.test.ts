import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { codeCacheFile, loadBundle } from '../src/code-cache.js'

// dist/server.js runs the server bundle through V8's code cache (src/server.ts,
// scripts/build-server-bundle.mjs).

const BUNDLE = `'use strict'
const { basename } = require('node:path')
exports.name = basename(__filename)
exports.twice = n => n * 2
exports.later = () => import('node:os').then(os => typeof os.cpus)
`

/**
 * Loads the bundle in a new process: V8 keeps what one process compiled and would not look at
 * the cache again for the same source.
 */
function loadElsewhere (file: string, cache: string): { rejected: boolean, twice: number } {
  const code = `import { loadBundle } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../src/code-cache.ts')).href)}
const { exports, cacheRejected } = loadBundle(${JSON.stringify(file)}, ${JSON.stringify(cache)})
console.log(JSON.stringify({ rejected: cacheRejected, twice: exports.twice(3) }))`
  const child = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', code], { encoding: 'utf8' })
  if (child.status !== 0) throw new Error(child.stderr)
  return JSON.parse(child.stdout)
}

t.test('a bundle loads as a CommonJS module, with require, __filename and import()', async t => {
  const file = join(t.testdir({ 'bundle.cjs': BUNDLE }), 'bundle.cjs')
  const { exports, cacheRejected } = loadBundle(file, codeCacheFile(file))
  t.equal(exports.name, 'bundle.cjs')
  t.equal((exports.twice as (n: number) => number)(21), 42)
  t.equal(await (exports.later as () => Promise<string>)(), 'function')
  t.equal(cacheRejected, false, 'no cache file, nothing refused')
})

t.test('the cache made after a run is taken by the next process; a damaged one is refused, not fatal', async t => {
  const file = join(t.testdir({ 'bundle.cjs': BUNDLE }), 'bundle.cjs')
  const cache = codeCacheFile(file)
  t.match(cache, /bundle\.\d+\.v8cache$/, 'named by V8\'s compatibility tag')
  const { exports, script } = loadBundle(file)
  ;(exports.twice as (n: number) => number)(1)
  writeFileSync(cache, script.createCachedData())
  t.same(loadElsewhere(file, cache), { rejected: false, twice: 6 })

  const damaged = readFileSync(cache)
  damaged.fill(7, 0, 16)
  writeFileSync(cache, damaged)
  t.same(loadElsewhere(file, cache), { rejected: true, twice: 6 }, 'and the bundle still runs')
})
