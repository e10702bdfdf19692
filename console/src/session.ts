import { createContext } from 'preact'
import { useContext, useEffect, useState } from 'preact/hooks'
import type { Api, Team } from './api'

export interface Session {
  api: Api
  teams: Team[]
  /** the team chosen in the switcher: a team id, or '' for every team the key may use */
  team: string
  /** a team's id from its name, as lists name teams; '' when unknown (the key's own team) */
  teamIdOf: (teamName: string) => string
  teamNameOf: (teamId: string) => string
}

export const SessionContext = createContext<Session | null>(null)

export function useSession (): Session {
  const session = useContext(SessionContext)
  if (session === null) throw new Error('useSession outside a signed-in console')
  return session
}

export type Route =
  | { page: 'secrets' }
  | { page: 'secret', team: string, name: string }
  | { page: 'trash' }
  | { page: 'keys' }
  | { page: 'audit' }
  | { page: 'missing' }

const decode = (part: string | undefined): string | undefined => {
  if (part === undefined) return undefined
  try {
    return decodeURIComponent(part)
  } catch {
    return undefined
  }
}

/** Pages live in the URL's fragment (#/secrets), so the server serves one page and a reload stays put. */
export function parseRoute (hash: string): Route {
  const [page = '', ...rest] = hash.replace(/^#\/?/, '').split('/')
  switch (page) {
    case '':
    case 'secrets':
      return { page: 'secrets' }
    case 'secret': {
      const team = decode(rest[0])
      const name = decode(rest[1])
      if (rest.length !== 2 || team === undefined || name === undefined || name === '') return { page: 'missing' }
      return { page: 'secret', team: team === '-' ? '' : team, name }
    }
    case 'trash':
      return { page: 'trash' }
    case 'keys':
      return { page: 'keys' }
    case 'audit':
      return { page: 'audit' }
    default:
      return { page: 'missing' }
  }
}

export const secretHref = (team: string, name: string): string =>
  `#/secret/${encodeURIComponent(team === '' ? '-' : team)}/${encodeURIComponent(name)}`

export function useRoute (): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash))
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(window.location.hash))
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return route
}

export function navigate (hash: string): void {
  window.location.hash = hash
}
