// Memory of a server process from /proc (Linux): VmRSS now, VmHWM the peak since it started.
import { readFileSync } from 'node:fs'

const MIB = 1024 * 1024

/** {rss, hwm} in MiB, or undefined when /proc is not there or the process is gone. */
export function readMemory (pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const field = name => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * 1024 / MIB
    return { rss: field('VmRSS'), hwm: field('VmHWM') }
  } catch {
    return undefined
  }
}

/** Samples VmRSS while a load runs; stop() gives the highest sample. */
export function sampleRss (pid, everyMs = 200) {
  let peak = 0
  const take = () => { peak = Math.max(peak, readMemory(pid)?.rss ?? 0) }
  take()
  const timer = setInterval(take, everyMs)
  return () => {
    clearInterval(timer)
    take()
    return peak
  }
}
