import { ApiError, CliError, UsageError } from './errors.js'

/**
 * The CLI's HTTP client: where Trove is, which key to send, and every failure turned into one line
 * a person can act on. Uses Node's global fetch, so the CLI has no HTTP dependency.
 */

export const DEFAULT_URL = 'http://127.0.0.1:8080'
/** long enough for a big import on a slow disk, short enough that a hung proxy is noticed */
const TIMEOUT_MS = 30_000

export interface ConnectionOptions {
  url?: string
  apiKey?: string
}

export interface Team {
  id: string
  name: string
}

type Query = Record<string, string | number | boolean | undefined>

interface RequestOptions {
  query?: Query
  /** sent as JSON */
  json?: unknown
  /** sent as is (import files) */
  text?: string
}

/** Why fetch failed, from the system error Node hides in `cause` (an AggregateError for localhost). */
function networkReason (err: unknown): string {
  const cause = (err as { cause?: { code?: string, message?: string, errors?: { code?: string }[] } }).cause
  const code = cause?.code ?? cause?.errors?.[0]?.code
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused'
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host not found'
    case 'ECONNRESET': case 'UND_ERR_SOCKET': return 'connection reset'
    case 'ETIMEDOUT': case 'UND_ERR_CONNECT_TIMEOUT': return 'connection timed out'
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'host unreachable'
    // fetch refuses ports browsers block (e.g. 1, 9, 25) before it tries to connect
    case undefined: return cause?.message === 'bad port'
      ? 'fetch does not connect to this port; use another'
      : cause?.message ?? (err instanceof Error ? err.message : String(err))
    default: return cause?.message ?? code
  }
}

/**
 * The key as fetch sends it (surrounding spaces and line ends dropped, as fetch drops them). A key
 * with a line break or another control character inside cannot be a header, and fetch's own
 * error would quote the whole header, key included: refused here, without repeating it.
 */
function sendableKey (key: string): string {
  const trimmed = key.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '')
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  if (/[\u0000-\u001f\u007f]|[^\u0000-\u00ff]/.test(trimmed)) {
    throw new UsageError('the API key (--api-key, TROVE_API_KEY or BASETEN_API_KEY) holds a line break, a control character or a character an HTTP header cannot carry; was more than the key read from a file?')
  }
  return trimmed
}

export class TroveClient {
  readonly url: string
  readonly #apiKey: string | undefined
  #teams: Promise<Team[]> | undefined

  constructor (options: ConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    const url = options.url ?? env.TROVE_URL ?? DEFAULT_URL
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new UsageError(`TROVE_URL (or --url) is not a URL: ${url}`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`TROVE_URL (or --url) must start with http:// or https://, not ${parsed.protocol}`)
    // a reverse proxy may serve Trove under a path: keep it, without a trailing slash
    this.url = url.replace(/\/+$/, '')
    // an empty variable counts as unset, as it does for the server's settings
    this.#apiKey = [options.apiKey, env.TROVE_API_KEY, env.BASETEN_API_KEY].find(key => key !== undefined && key !== '')
  }

  /** GETs, POSTs… a JSON route and returns the parsed answer; any failure is a CliError. */
  async json<T> (method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { body } = await this.#send(method, path, options)
    try {
      return JSON.parse(body) as T
    } catch {
      throw new CliError(`the server at ${this.url} did not answer with JSON; is TROVE_URL a Trove server?`)
    }
  }

  /** For routes that answer with a file (export). */
  async text (method: string, path: string, options: RequestOptions = {}): Promise<string> {
    return (await this.#send(method, path, options)).body
  }

  /**
   * The path of a secrets route: `/v1/secrets/…` for the key's own team, or
   * `/v1/teams/{id}/secrets/…` when a team is named (by name or id).
   */
  async scoped (team: string | undefined, path: string): Promise<string> {
    if (team === undefined) return `/v1${path}`
    const { id } = await this.team(team)
    return `/v1/teams/${encodeURIComponent(id)}${path}`
  }

  async teams (): Promise<Team[]> {
    // one list per process, however many names a command resolves
    this.#teams ??= this.json<{ teams: Team[] }>('GET', '/v1/teams').then(answer => answer.teams)
    return await this.#teams
  }

  /** A team by id or name; ids win, so a team named like another's id is still reachable by id. */
  async team (nameOrId: string): Promise<Team> {
    const teams = await this.teams()
    const team = teams.find(t => t.id === nameOrId) ?? teams.find(t => t.name === nameOrId)
    if (team === undefined) {
      const known = teams.map(t => t.name).join(', ')
      throw new CliError(`no team "${nameOrId}" among the teams this key may use${known === '' ? '' : ` (${known})`}`)
    }
    return team
  }

  /**
   * Error answers become `401 invalid_api_key: the API key is not valid`; a non-JSON error page
   * (a proxy, another service on the port) becomes its status line.
   */
  /** For routes that answer with bytes (backup). */
  async bytes (method: string, path: string, options: RequestOptions = {}): Promise<{ body: Uint8Array, headers: Headers }> {
    const answer = await this.#send(method, path, { ...options, binary: true })
    return { body: answer.bytes!, headers: answer.headers }
  }

  async #send (method: string, path: string, options: RequestOptions & { binary?: boolean }): Promise<{ status: number, body: string, bytes?: Uint8Array, headers: Headers }> {
    if (this.#apiKey === undefined) throw new CliError('no API key: set TROVE_API_KEY (or BASETEN_API_KEY), or pass --api-key')
    const target = new URL(this.url + path)
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) target.searchParams.set(name, String(value))
    }
    const headers: Record<string, string> = { authorization: `Bearer ${sendableKey(this.#apiKey)}`, accept: 'application/json' }
    let body: string | undefined
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.json)
    } else if (options.text !== undefined) {
      headers['content-type'] = 'text/plain; charset=utf-8'
      body = options.text
    }

    let response: Response
    try {
      response = await fetch(target, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' })
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new CliError(`Trove at ${this.url} did not answer within ${TIMEOUT_MS / 1000} seconds`)
      throw new CliError(`cannot reach Trove at ${this.url} (${networkReason(err)}); is it running? set TROVE_URL`)
    }
    if (response.ok && options.binary === true) {
      try {
        return { status: response.status, body: '', bytes: new Uint8Array(await response.arrayBuffer()), headers: response.headers }
      } catch (err) {
        throw new CliError(`Trove at ${this.url} broke off its answer (${networkReason(err)})`)
      }
    }
    let text: string
    try {
      text = await response.text()
    } catch (err) {
      throw new CliError(`Trove at ${this.url} broke off its answer (${networkReason(err)})`)
    }
    if (response.ok) return { status: response.status, body: text, headers: response.headers }
    throw new ApiError(describeErrorAnswer(response.status, response.statusText, text), response.status, parseJson(text))
  }
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function describeErrorAnswer (status: number, statusText: string, text: string): string {
  const body = parseJson(text) as { code?: unknown, message?: unknown } | undefined
  if (typeof body?.code === 'string' && typeof body.message === 'string') return `${status} ${body.code}: ${body.message}`
  return `${status} ${statusText === '' ? 'error' : statusText}: the server did not say why; is TROVE_URL a Trove server?`
}
