import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import { ApiError, createApi, messageOf, type Team } from './api'
import { ErrorNote, Loading } from './components'
import { AuditPage } from './pages/audit'
import { KeysPage } from './pages/keys'
import { SecretPage } from './pages/secret'
import { SecretsPage } from './pages/secrets'
import { SignIn } from './pages/sign-in'
import { TrashPage } from './pages/trash'
import { SessionContext, useRoute, type Route, type Session } from './session'

/** The key lives in this tab's sessionStorage only: closing the tab or signing out forgets it. */
const KEY_STORAGE = 'trove.apiKey'
const TEAM_STORAGE = 'trove.team'

const NAV: Array<{ page: Route['page'], href: string, label: string }> = [
  { page: 'secrets', href: '#/secrets', label: 'Secrets' },
  { page: 'trash', href: '#/trash', label: 'Trash' },
  { page: 'keys', href: '#/keys', label: 'API keys' },
  { page: 'audit', href: '#/audit', label: 'Audit log' }
]

export function App () {
  const [signedIn, setSignedIn] = useState<{ key: string, teams: Team[] } | null>(null)
  const [resuming, setResuming] = useState(() => sessionStorage.getItem(KEY_STORAGE) !== null)
  const [signInNote, setSignInNote] = useState<string>()
  const [team, setTeam] = useState(() => sessionStorage.getItem(TEAM_STORAGE) ?? '')
  const route = useRoute()

  const signOut = useCallback((note: string) => {
    sessionStorage.removeItem(KEY_STORAGE)
    sessionStorage.removeItem(TEAM_STORAGE)
    setSignedIn(null)
    setTeam('')
    setSignInNote(note)
    // the next sign-in starts on the secrets page
    if (window.location.hash !== '') {
      window.history.replaceState(null, '', window.location.pathname + window.location.search)
      window.dispatchEvent(new HashChangeEvent('hashchange'))
    }
  }, [])

  const signIn = useCallback(async (key: string) => {
    // any valid key may list its teams: a key that cannot is not valid
    const teams = await createApi(key).teams()
    sessionStorage.setItem(KEY_STORAGE, key)
    setSignInNote(undefined)
    setSignedIn({ key, teams })
  }, [])

  // a reload of the tab keeps the session, after checking the key again
  const [resumeError, setResumeError] = useState<string>()
  const resume = useCallback(() => {
    const key = sessionStorage.getItem(KEY_STORAGE)
    if (key === null) return
    setResuming(true)
    setResumeError(undefined)
    createApi(key).teams().then(
      teams => setSignedIn({ key, teams }),
      (err: unknown) => {
        // only a refused key ends the session: a server that is restarting, busy or limiting
        // this address (429) says nothing about the key, and the person would have to paste it again
        if (err instanceof ApiError && err.status === 401) {
          sessionStorage.removeItem(KEY_STORAGE)
          setSignInNote(messageOf(err))
        } else {
          setResumeError(messageOf(err))
        }
      }
    ).finally(() => setResuming(false))
  }, [])
  useEffect(resume, [resume])

  const session = useMemo((): Session | null => {
    if (signedIn === null) return null
    const api = createApi(signedIn.key, err => signOut(`You were signed out: ${err.message}.`))
    const byName = new Map(signedIn.teams.map(t => [t.name, t.id]))
    const byId = new Map(signedIn.teams.map(t => [t.id, t.name]))
    const chosen = byId.has(team) ? team : ''
    return {
      api,
      teams: signedIn.teams,
      team: chosen,
      teamIdOf: name => byName.get(name) ?? '',
      teamNameOf: id => byId.get(id) ?? id
    }
  }, [signedIn, team, signOut])

  // a new page takes the focus to its heading, so keyboard and screen-reader users start there
  const first = useRef(true)
  const routeKey = JSON.stringify(route)
  useLayoutEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    document.querySelector<HTMLElement>('main h1')?.focus()
  }, [routeKey])

  if (resuming && signedIn === null) return <main class='page'><Loading what='your session' /></main>
  if (resumeError !== undefined && signedIn === null) {
    return (
      <main id='main' class='page sign-in'>
        <h1 tabIndex={-1}>Trove</h1>
        <ErrorNote message={`Your session could not be checked: ${resumeError}`} />
        <div class='actions'>
          <button type='button' class='primary' onClick={resume}>Try again</button>
          <button type='button' onClick={() => { setResumeError(undefined); signOut('You have signed out. The key was removed from this tab.') }}>Sign out</button>
        </div>
      </main>
    )
  }
  if (session === null) return <SignIn note={signInNote} onSignIn={signIn} />

  let page
  switch (route.page) {
    case 'secrets': page = <SecretsPage />; break
    case 'secret': page = <SecretPage key={routeKey} team={route.team} name={route.name} />; break
    case 'trash': page = <TrashPage />; break
    case 'keys': page = <KeysPage />; break
    case 'audit': page = <AuditPage />; break
    default: page = <><h1 tabIndex={-1}>Page not found</h1><p><a href='#/secrets'>Go to the secrets</a></p></>
  }
  const current = route.page === 'secret' ? 'secrets' : route.page

  return (
    <SessionContext.Provider value={session}>
      <a
        class='skip' href='#/' onClick={e => {
          e.preventDefault()
          document.getElementById('main')?.focus()
        }}
      >Skip to content
      </a>
      <header class='top'>
        <div class='top-inner'>
          <span class='brand'>Trove</span>
          <nav aria-label='Main'>
            <ul>
              {NAV.map(item => (
                <li key={item.page}>
                  <a href={item.href} aria-current={item.page === current ? 'page' : undefined}>{item.label}</a>
                </li>
              ))}
            </ul>
          </nav>
          <div class='top-tools'>
            <label for='team-switch'>Team</label>
            <select
              id='team-switch' value={session.team} onChange={e => {
                const value = e.currentTarget.value
                sessionStorage.setItem(TEAM_STORAGE, value)
                setTeam(value)
              }}
            >
              <option value=''>All teams</option>
              {session.teams.map(t => <option key={t.id} value={t.id}>{t.name}</option>)}
            </select>
            <button type='button' onClick={() => signOut('You have signed out. The key was removed from this tab.')}>Sign out</button>
          </div>
        </div>
      </header>
      <main id='main' class='page' tabIndex={-1}>
        {page}
      </main>
    </SessionContext.Provider>
  )
}
