import { useCallback, useEffect, useLayoutEffect, useState } from 'preact/hooks'
import { messageOf, SCOPES, type ApiKey, type CreatedApiKey } from '../api'
import { ConfirmDialog, CopyButton, ErrorNote, Loading, StatusNote, Time } from '../components'
import { useSession } from '../session'
import { localToIso } from '../util'

export function KeysPage () {
  const { api, teamNameOf } = useSession()
  const [keys, setKeys] = useState<ApiKey[]>()
  const [error, setError] = useState<string>()
  const [status, setStatus] = useState<string>()
  const [created, setCreated] = useState<CreatedApiKey>()
  const [revoking, setRevoking] = useState<ApiKey>()
  const [revokeError, setRevokeError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const load = useCallback(async () => {
    try {
      setKeys(await api.listKeys())
    } catch (err) {
      setKeys(undefined)
      setError(messageOf(err))
    }
  }, [api])
  useEffect(() => { load() }, [load])
  // the new key takes the focus (its field selects it on focus), so it can be copied at once;
  // once hidden, the focus goes back to the page's heading rather than to nowhere
  useLayoutEffect(() => {
    if (created !== undefined) document.getElementById('created-key')?.focus()
  }, [created])

  return (
    <>
      <h1 tabIndex={-1}>API keys</h1>
      <StatusNote message={status} />
      {created !== undefined && (
        <section class='card created-key' aria-labelledby='created-title'>
          <h2 id='created-title'>Key "{created.name}" created</h2>
          <p><strong>Copy it now: it is shown only this once.</strong> Trove keeps only a keyed hash of it.</p>
          <div class='field'>
            <label for='created-key'>The new API key</label>
            <input id='created-key' class='key-output' type='text' readOnly value={created.key} spellcheck={false} onFocus={e => e.currentTarget.select()} />
          </div>
          <div class='actions'>
            <CopyButton text={created.key} label='Copy key' />
            <button
              type='button' onClick={() => {
                setCreated(undefined)
                document.querySelector<HTMLElement>('main h1')?.focus()
              }}
            >I have stored it: hide the key
            </button>
          </div>
        </section>
      )}
      <CreateKey
        onCreated={async key => {
          setCreated(key)
          setStatus(undefined)
          await load()
        }}
      />
      <h2>Keys</h2>
      <ErrorNote message={error} />
      {keys === undefined && error === undefined && <Loading what='API keys' />}
      {keys !== undefined && (
        <div class='table-scroll'>
          <table class='list'>
            <caption class='visually-hidden'>API keys, oldest first</caption>
            <thead>
              <tr><th scope='col'>Name</th><th scope='col'>ID</th><th scope='col'>Scopes</th><th scope='col'>Teams</th><th scope='col'>Created</th><th scope='col'>Last used</th><th scope='col'>Expires</th><th scope='col'>Status</th><th scope='col'><span class='visually-hidden'>Action</span></th></tr>
            </thead>
            <tbody>
              {keys.map(k => (
                <tr key={k.id} class={k.revoked ? 'revoked' : undefined}>
                  <th scope='row' class='name' data-label='Name'>{k.name}</th>
                  <td data-label='ID'><code>{k.id}</code></td>
                  <td data-label='Scopes'>{k.scopes.join(', ')}</td>
                  <td data-label='Teams'>{k.teams === null ? 'all teams' : k.teams.map(teamNameOf).join(', ')}</td>
                  <td data-label='Created'><Time iso={k.created_at} /></td>
                  <td data-label='Last used'><Time iso={k.last_used_at} /></td>
                  <td data-label='Expires'>{k.expires_at === null ? 'never' : <Time iso={k.expires_at} />}</td>
                  <td data-label='Status'>
                    {!k.intact
                      ? <strong class='tampered'>refused: its row was changed outside Trove</strong>
                      : k.revoked ? <span>revoked <Time iso={k.revoked_at} /></span> : expired(k) ? 'expired' : 'active'}
                  </td>
                  <td data-label='Action'>
                    {(!k.revoked || !k.intact) && (
                      <button type='button' class='danger' onClick={() => setRevoking(k)}>
                        Revoke<span class='visually-hidden'> key {k.name} ({k.id})</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoking !== undefined && (
        <ConfirmDialog
          title={`Revoke key "${revoking.name}"?`} confirmLabel='Revoke' busy={busy} error={revokeError}
          onCancel={() => {
            setRevoking(undefined)
            setRevokeError(undefined)
          }}
          onConfirm={async () => {
            setBusy(true)
            setRevokeError(undefined)
            try {
              await api.revokeKey(revoking.id)
              setRevoking(undefined)
              await load()
              setStatus(`Key "${revoking.name}" (${revoking.id}) revoked: it is refused from now on.`)
            } catch (err) {
              setRevokeError(messageOf(err))
            }
            setBusy(false)
          }}
        >
          <p>Every program using key <code>{revoking.id}</code> will be refused from its next request. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  )
}

const expired = (k: ApiKey): boolean => k.expires_at !== null && Date.parse(k.expires_at) <= Date.now()

function CreateKey ({ onCreated }: { onCreated: (key: CreatedApiKey) => Promise<void> }) {
  const { api, teams } = useSession()
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<string[]>(['secrets:list', 'secrets:read'])
  const [keyTeams, setKeyTeams] = useState<string[]>([])
  const [expires, setExpires] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const toggle = (list: string[], item: string, on: boolean): string[] =>
    on ? [...list.filter(x => x !== item), item] : list.filter(x => x !== item)

  return (
    <form
      class='card' aria-labelledby='create-key-title' onSubmit={async e => {
        e.preventDefault()
        const label = name.trim()
        if (label === '' || label.length > 100) return setError('Give the key a name of 1 to 100 characters.')
        if (scopes.length === 0) return setError('Choose at least one scope.')
        const expiresAt = localToIso(expires)
        if (expires !== '' && (expiresAt === undefined || Date.parse(expiresAt) <= Date.now())) return setError('The expiry must be a time in the future.')
        setBusy(true)
        setError(undefined)
        try {
          const key = await api.createKey({
            name: label,
            scopes: SCOPES.filter(s => scopes.includes(s)),
            ...(keyTeams.length === 0 ? {} : { teams: teams.filter(t => keyTeams.includes(t.id)).map(t => t.id) }),
            ...(expiresAt === undefined ? {} : { expires_at: expiresAt })
          })
          setName('')
          setExpires('')
          await onCreated(key)
        } catch (err) {
          setError(messageOf(err))
        }
        setBusy(false)
      }}
    >
      <h2 id='create-key-title'>Create a key</h2>
      <div class='field'>
        <label for='key-name'>Name</label>
        <input id='key-name' type='text' value={name} maxLength={100} autocomplete='off' onInput={e => setName(e.currentTarget.value)} />
      </div>
      <fieldset class='choices'>
        <legend>Scopes</legend>
        {SCOPES.map(scope => (
          <label key={scope} class='check'>
            <input type='checkbox' checked={scopes.includes(scope)} onChange={e => setScopes(toggle(scopes, scope, e.currentTarget.checked))} /> {scope}
          </label>
        ))}
      </fieldset>
      {teams.length > 0 && (
        <fieldset class='choices'>
          <legend>Teams <span class='hint-inline'>(none ticked: the same teams as your key)</span></legend>
          {teams.map(t => (
            <label key={t.id} class='check'>
              <input type='checkbox' checked={keyTeams.includes(t.id)} onChange={e => setKeyTeams(toggle(keyTeams, t.id, e.currentTarget.checked))} /> {t.name}
            </label>
          ))}
        </fieldset>
      )}
      <div class='field'>
        <label for='key-expires'>Expires <span class='hint-inline'>(optional; your browser's time zone)</span></label>
        <input id='key-expires' type='datetime-local' value={expires} onInput={e => setExpires(e.currentTarget.value)} />
      </div>
      <ErrorNote message={error} />
      <div class='actions'>
        <button type='submit' class='primary' disabled={busy}>{busy ? 'Creating…' : 'Create key'}</button>
      </div>
    </form>
  )
}
