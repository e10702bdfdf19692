// The PostgreSQL of the database comparison: the server the tests use (or BENCH_POSTGRES_URL),
// with throw-away databases named after this run, dropped at its end and also on Ctrl-C.
import pg from 'pg'
import { onCleanUp } from './processes.mjs'

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test'
const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost'])

/** A URL of a role that may create databases; its own database is only used to connect. */
export function adminUrl (env = process.env) {
  return env.BENCH_POSTGRES_URL || env.TROVE_TEST_DATABASE_URL || DEFAULT_URL
}

/** Where the URL points, for the report: never the user or password. */
export function describeUrl (url) {
  const parsed = new URL(url)
  return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`
}

/** Only a server on this machine has processes whose CPU time /proc can count. */
export function isLocal (url) {
  const { hostname } = new URL(url)
  return hostname === '' || LOOPBACK.has(hostname)
}

function withDatabase (url, name) {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

async function adminQuery (url, text, values) {
  // a server that is down must skip the section in seconds, not hang the run
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  client.on('error', () => {})
  await client.connect()
  try {
    return (await client.query(text, values)).rows
  } finally {
    await client.end()
  }
}

/** The server's version ({version}), or why it did not answer ({error}). */
export async function probePostgres (url) {
  try {
    const [row] = await adminQuery(url, 'SHOW server_version')
    return { version: row.server_version }
  } catch (err) {
    return { error: err.code ?? err.message }
  }
}

/**
 * Databases of this run, `trove_bench_<pid>_<suffix>`. One is seeded and the others are copied
 * from it (CREATE DATABASE … TEMPLATE), so every deployment starts from the same rows.
 */
export function benchDatabases (url) {
  const created = new Set()

  async function drop (name) {
    // FORCE ends sessions a killed Trove may have left behind (PostgreSQL 13 and later)
    await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    created.delete(name)
  }

  async function dropAll () {
    for (const name of [...created]) await drop(name)
  }

  const untrack = onCleanUp(dropAll)
  return {
    async create (suffix, template) {
      const name = `trove_bench_${process.pid}_${suffix}`
      // tracked before it exists: an interrupted CREATE is dropped too (IF EXISTS)
      created.add(name)
      await adminQuery(url, `CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template}`}`)
      return { name, url: withDatabase(url, name) }
    },
    async sizeBytes (name) {
      const [row] = await adminQuery(url, 'SELECT pg_database_size($1) AS bytes', [name])
      return Number(row.bytes)
    },
    drop,
    /** Drops every database of the run; the harness clean-up no longer needs to. */
    async close () {
      await dropAll()
      untrack()
    }
  }
}
