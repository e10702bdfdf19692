// Who used the CPUs during a measured run: the server, this harness (autocannon), and everything
// else on the machine. These machines are shared; a figure taken while others were busy shows it.
import { readFileSync } from 'node:fs'

// /proc reports CPU time in clock ticks; USER_HZ is 100 on Linux
const TICKS_PER_SECOND = 100

function machineBusyTicks () {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  return user + nice + system + irq + softirq + steal
}

function processTicks (pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // fields after the command name (which may hold spaces): utime and stime are the 12th and 13th
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

function harnessTicks () {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6 * TICKS_PER_SECOND
}

/** Starts counting; the returned function gives CPUs in use on average (1.0 = one core busy). */
export function countCpu (pid) {
  try {
    const before = { at: performance.now(), busy: machineBusyTicks(), server: processTicks(pid), harness: harnessTicks() }
    return () => {
      try {
        const ticks = (performance.now() - before.at) / 1000 * TICKS_PER_SECOND
        const server = processTicks(pid) - before.server
        const harness = harnessTicks() - before.harness
        const others = machineBusyTicks() - before.busy - server - harness
        const round = t => Math.round(t / ticks * 100) / 100
        return { server: round(server), harness: round(harness), others: Math.max(0, round(others)) }
      } catch {
        return undefined
      }
    }
  } catch {
    // not Linux: no /proc
    return () => undefined
  }
}
