import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { ROOT, SERVER_ENTRY } from '../fixtures/process.js'

/**
 * No Docker engine runs on these machines, so the Dockerfile and compose file are checked by
 * reading them: the start command is the one the test suite starts, paths and variables agree,
 * and the process does not run as root.
 */
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
const lines = dockerfile.split('\n').filter(line => line.trim() !== '' && !line.trim().startsWith('#'))
const stages = dockerfile.split(/^FROM /m).slice(1)
const runtime = stages.at(-1)!
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))

function env (stage: string): Record<string, string> {
  const vars: Record<string, string> = {}
  for (const match of stage.replace(/\\\n/g, ' ').matchAll(/^ENV\s+(.+)$/gm)) {
    for (const pair of match[1]!.trim().split(/\s+/)) {
      const [name, value] = pair.split('=')
      if (name !== undefined && value !== undefined) vars[name] = value
    }
  }
  return vars
}

t.test('Dockerfile: multi-stage, native build in the build stage, node as the process', async t => {
  t.ok(stages.length >= 2, 'more than one stage')
  t.match(stages[0], /python3 make g\+\+/, 'the toolchain is in the build stage')
  t.match(stages[0], /npm ci/)
  t.notMatch(runtime, /g\+\+|python3/, 'no toolchain in the runtime image')
  t.match(runtime, /^node:20[\w.-]*slim/, 'a small Node 20 runtime image')
  const cmd = /^CMD\s+(\[.*\])$/m.exec(runtime)?.[1]
  t.ok(cmd, 'an exec-form CMD')
  const argv = JSON.parse(cmd!) as string[]
  t.same(argv.slice(0, 1), ['node'], 'node itself is PID 1, not npm')
  t.equal(join(ROOT, argv[1]!), SERVER_ENTRY, 'the CMD runs the entry the tests start')
  t.equal(pkg.scripts.start, `node ${argv[1]}`, 'and the one npm start runs')
  t.match(runtime, /^STOPSIGNAL SIGTERM$/m)
})

t.test('Dockerfile: non-root user, /data volume, health check on readiness', async t => {
  const user = /^USER\s+(\S+)$/m.exec(runtime)?.[1]
  t.ok(user !== undefined && user !== 'root' && user !== '0', `runs as ${user}`)
  const vars = env(runtime)
  t.equal(vars.TROVE_DATA_DIR, '/data')
  t.equal(vars.TROVE_HOST, '0.0.0.0', 'listens on the container network')
  t.match(runtime, /^VOLUME \["\/data"\]$/m)
  t.match(runtime, new RegExp(`^EXPOSE ${vars.TROVE_PORT}$`, 'm'), 'exposes the port it listens on')
  const probe = /^\s*CMD \["node", "([^"]+)"\]$/m.exec(runtime.split('HEALTHCHECK')[1] ?? '')?.[1]
  t.equal(probe, 'dist/healthcheck.js', 'the health check is the built probe (src/healthcheck.ts: GET /readyz, HTTP or HTTPS)')
  t.ok(existsSync(join(ROOT, probe!)), 'which the build makes')
  t.match(runtime, /COPY migrations \.\/migrations/, 'migrations ship with the image')
  t.ok(lines.length > 0)
})

t.test('compose: the master key as a secret file, the data volume where the image keeps data', async t => {
  const trove = compose.services.trove
  t.equal(trove.init, true, 'an init process forwards signals')
  const secretName = trove.secrets[0]
  t.equal(trove.environment.TROVE_MASTER_KEY_FILE, `/run/secrets/${secretName}`)
  t.ok(compose.secrets[secretName].file, 'the secret comes from a file')
  t.notOk('TROVE_MASTER_KEY' in trove.environment, 'no key in the environment')
  const [, target] = (trove.volumes[0] as string).split(':')
  t.equal(target, env(runtime).TROVE_DATA_DIR, 'the named volume is mounted where the image keeps data')
  t.ok(compose.volumes[(trove.volumes[0] as string).split(':')[0]!] !== undefined || 'trove-data' in compose.volumes, 'a named volume')
  t.match(trove.ports[0], /^127\.0\.0\.1:/, 'published on loopback only')
  for (const name of ['trove', 'trove-postgres']) {
    const service = compose.services[name]
    t.equal(service.healthcheck, undefined, `${name}: the image's health check, which follows TROVE_PORT and TLS`)
    const grace = /^(\d+)s$/.exec(String(service.stop_grace_period))?.[1]
    t.ok(Number(grace) > 10 + 5, `${name}: stop grace ${service.stop_grace_period} outlasts the 10 s shutdown wait and the flush after it`)
  }
})

t.test('compose: a PostgreSQL profile', async t => {
  const pg = compose.services['trove-postgres']
  t.same(pg.profiles, ['postgres'])
  t.same(compose.services.postgres.profiles, ['postgres'])
  t.match(pg.environment.TROVE_DATABASE_URL, /^postgres:\/\/[^@]+@postgres:5432\//, 'points at the postgres service')
  t.equal(pg.depends_on.postgres.condition, 'service_healthy')
})
