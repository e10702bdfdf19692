import { useState } from 'preact/hooks'
import { messageOf } from '../api'
import { ErrorNote, StatusNote } from '../components'

export function SignIn ({ note, onSignIn }: { note?: string, onSignIn: (key: string) => Promise<void> }) {
  const [key, setKey] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  return (
    <main id='main' class='page sign-in'>
      <h1>Sign in to Trove</h1>
      <StatusNote message={note} />
      <form
        class='card' onSubmit={async e => {
          e.preventDefault()
          const trimmed = key.trim()
          if (trimmed === '') {
            setError('Enter an API key.')
            return
          }
          setBusy(true)
          setError(undefined)
          try {
            await onSignIn(trimmed)
          } catch (err) {
            setError(messageOf(err))
            setBusy(false)
          }
        }}
      >
        <div class='field'>
          <label for='api-key'>API key</label>
          <p class='hint' id='api-key-hint'>
            The key is kept in this browser tab only (sessionStorage) and forgotten when you sign out or close the tab.
          </p>
          <input
            id='api-key' type='password' value={key} autocomplete='off' spellcheck={false}
            aria-describedby='api-key-hint' onInput={e => setKey(e.currentTarget.value)}
          />
        </div>
        <ErrorNote message={error} />
        <button type='submit' class='primary' disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  )
}
