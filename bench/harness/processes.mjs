// Child processes, temporary folders and other clean-up steps of one harness run: no server may
// outlive the harness, whether it ends normally, throws, or is interrupted.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root: servers run from here, as `npm start` does. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

const children = new Set()
const tempDirs = new Set()
const cleanUpSteps = new Set()
const LOG_TAIL_BYTES = 16 * 1024

/** A port nothing listens on now; Trove at log level warn does not print the one it chose. */
export function freePort () {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/** A private temporary folder, removed at the end of the run even on Ctrl-C. */
export function tempDir (prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

/** A folder made elsewhere that is also removed at the end of the run. */
export function trackDir (dir) {
  tempDirs.add(dir)
}

export function removeTempDir (dir) {
  rmSync(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

/** Keeps the end of a child's output, to show when it misbehaves. */
function tail (child) {
  let text = ''
  const keep = chunk => { text = (text + chunk).slice(-LOG_TAIL_BYTES) }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return () => text
}

/** Spawns a node script; the handle knows its pid, its output tail and how it ended. */
export function spawnNode (args, env) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = tail(child)
  const handle = { child, pid: child.pid, output, alive: () => child.exitCode === null && child.signalCode === null }
  handle.exited = new Promise(resolve => child.once('exit', (code, signal) => {
    children.delete(handle)
    resolve({ code, signal })
  }))
  children.add(handle)
  return handle
}

/** One HTTP GET on a fresh connection; resolves to the status, rejects on a refused connection. */
export function httpGet (url, headers = {}, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, res => {
      res.resume()
      res.once('end', () => resolve(res.statusCode))
    })
    // a server that stops answering must fail the run, not hang it
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)))
    req.once('error', reject)
    req.end()
  })
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/** Polls a URL until it answers 2xx; fails fast if the process dies first. */
export async function waitForHttp (handle, url, { headers, timeoutMs = 120_000, intervalMs = 20 } = {}) {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    if (!handle.alive()) throw new Error(`process ${handle.pid} exited before answering ${url}:\n${handle.output()}`)
    try {
      const status = await httpGet(url, headers)
      if (status >= 200 && status < 300) return
    } catch {}
    if (performance.now() > deadline) throw new Error(`no answer from ${url} within ${timeoutMs} ms:\n${handle.output()}`)
    await sleep(intervalMs)
  }
}

/** SIGTERM lets Trove flush its audit batch and checkpoint; SIGKILL if it takes too long. */
export async function stopProcess (handle, graceMs = 20_000) {
  if (!handle.alive()) return await handle.exited
  handle.child.kill('SIGTERM')
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), graceMs)
  const result = await handle.exited
  clearTimeout(timer)
  return result
}

/**
 * Registers an asynchronous clean-up step (dropping a database) that runs after every child has
 * stopped, so nothing still uses what it removes. Returns a function that unregisters it.
 */
export function onCleanUp (step) {
  cleanUpSteps.add(step)
  return () => cleanUpSteps.delete(step)
}

async function cleanUp () {
  await Promise.all([...children].map(handle => stopProcess(handle, 5_000)))
  for (const step of cleanUpSteps) {
    try {
      await step()
    } catch (err) {
      process.stderr.write(`clean-up failed: ${err.message}\n`)
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
}

/** Installs the handlers that stop every child and remove every temporary folder. */
export function installCleanUp () {
  const onSignal = signal => {
    process.stderr.write(`\n${signal}: stopping servers and removing temporary stores\n`)
    cleanUp().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  // last resort when the harness exits some other way: nothing may keep running
  process.once('exit', () => {
    for (const handle of children) handle.child.kill('SIGKILL')
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  })
  return cleanUp
}
