// Who used the CPUs during a measured run: the servers, this harness (autocannon), a local
// PostgreSQL, and everything else on the machine. These machines are shared; a figure taken while
// others were busy shows it.
import { readdirSync, readFileSync } from 'node:fs'

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

function sum (values) {
  return values.reduce((a, b) => a + b, 0)
}

/** CPU ticks of every PostgreSQL process (postmaster, backends, writers) by pid. */
function databaseTicks () {
  const ticks = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') ticks.set(entry, processTicks(entry))
    } catch {
      // ended meanwhile
    }
  }
  return ticks
}

/** A backend that started during the run counts from zero; one that ended is lost (rare: pools keep theirs). */
function databaseTicksSince (before) {
  return sum([...databaseTicks()].map(([pid, ticks]) => ticks - (before.get(pid) ?? 0)))
}

function harnessTicks () {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6 * TICKS_PER_SECOND
}

/**
 * Starts counting; the returned function gives CPUs in use on average (1.0 = one core busy):
 * `server` for all of `pids` together (and `servers`, each one's, when there are several), and
 * `database` when a local PostgreSQL serves them, which then does not count as `others`.
 */
export function countCpu (pids, { database = false } = {}) {
  const servers = [pids].flat()
  try {
    const before = {
      at: performance.now(),
      busy: machineBusyTicks(),
      servers: servers.map(processTicks),
      harness: harnessTicks(),
      database: database ? databaseTicks() : undefined
    }
    return () => {
      try {
        const ticks = (performance.now() - before.at) / 1000 * TICKS_PER_SECOND
        const each = servers.map((pid, i) => processTicks(pid) - before.servers[i])
        const harness = harnessTicks() - before.harness
        const db = database ? databaseTicksSince(before.database) : 0
        const others = machineBusyTicks() - before.busy - sum(each) - harness - db
        const round = t => Math.round(t / ticks * 100) / 100
        return {
          server: round(sum(each)),
          ...(servers.length > 1 ? { servers: each.map(round) } : {}),
          harness: round(harness),
          ...(database ? { database: round(db) } : {}),
          others: Math.max(0, round(others))
        }
      } catch {
        return undefined
      }
    }
  } catch {
    // not Linux: no /proc
    return () => undefined
  }
}
