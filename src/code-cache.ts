/**
 * Runs a CommonJS bundle with V8's code cache. Node 20 has no compile cache for modules
 * (module.enableCompileCache arrived in Node 22.1), but vm.Script takes the cache V8 makes: a
 * start that finds one skips parsing the file and compiling the functions the cache holds.
 * A cache from another Node version or other V8 flags is refused by V8, and the file is then
 * compiled as usual: slower, never wrong.
 * @see https://nodejs.org/docs/latest-v20.x/api/vm.html#scriptcreatecacheddata
 */
import { isAscii } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'

export interface LoadedBundle {
  /** the bundle's module.exports */
  exports: Record<string, unknown>
  /** the compiled script: createCachedData() after a warm-up gives the cache to store */
  script: vm.Script
  /** a cache file was there but V8 did not accept it */
  cacheRejected: boolean
}

/**
 * The cache file for `bundleFile` that this process can use: named by V8's tag for cache
 * compatibility (its version, flags and CPU features), so `node dist/server.js` and a start with
 * heap flags (npm start) each find the cache made under the same flags.
 */
export function codeCacheFile (bundleFile: string): string {
  return `${bundleFile.replace(/\.cjs$/, '')}.${v8.cachedDataVersionTag()}.v8cache`
}

type ModuleWrapper = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void

function readCache (file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined
  try {
    return readFileSync(file)
  } catch {
    return undefined
  }
}

/**
 * Loads `file` as Node loads a CommonJS module (same wrapper, a require() that resolves from
 * the file's folder), with the code cache from `cacheFile` when there is one.
 */
export function loadBundle (file: string, cacheFile?: string): LoadedBundle {
  // an ASCII file (the build makes sure) is copied as it is into V8's one-byte string; only
  // another file pays for UTF-8 decoding
  const bytes = readFileSync(file)
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8')
  const cachedData = readCache(cacheFile)
  // on one line with the first line of the file, so stack traces keep the file's line numbers
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
  })
  const module = { exports: {} }
  const wrapper = script.runInThisContext() as ModuleWrapper
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file))
  return { exports: module.exports, script, cacheRejected: cachedData !== undefined && script.cachedDataRejected === true }
}
