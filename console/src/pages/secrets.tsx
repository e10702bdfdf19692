import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { ApiError, messageOf, type Secret } from '../api'
import { ErrorNote, Loading, StatusNote, Time, ValueField } from '../components'
import { navigate, secretHref, useSession } from '../session'
import { nameProblem, notice, valueProblem } from '../util'

export function SecretsPage () {
  const { api, team, teamIdOf } = useSession()
  const [secrets, setSecrets] = useState<Secret[]>()
  const [error, setError] = useState<string>()
  const [status] = useState(() => notice.take())
  const [filter, setFilter] = useState('')
  const [adding, setAdding] = useState(false)

  const load = useCallback(async () => {
    setError(undefined)
    try {
      setSecrets(await api.listSecrets(team))
    } catch (err) {
      setSecrets(undefined)
      setError(messageOf(err))
    }
  }, [api, team])
  useEffect(() => { load() }, [load])

  const needle = filter.trim().toLowerCase()
  const shown = secrets?.filter(s => needle === '' || s.name.toLowerCase().includes(needle) || s.team_name.toLowerCase().includes(needle))

  return (
    <>
      <div class='page-head'>
        <h1 tabIndex={-1}>Secrets</h1>
        {!adding && <button type='button' class='primary' onClick={() => setAdding(true)}>Add secret</button>}
      </div>
      <StatusNote message={status} />
      {adding && <AddSecret onClose={() => setAdding(false)} />}
      <div class='field filter'>
        <label for='secret-filter'>Filter by name or team</label>
        <input id='secret-filter' type='search' value={filter} autocomplete='off' onInput={e => setFilter(e.currentTarget.value)} />
      </div>
      <ErrorNote message={error} />
      {secrets === undefined && error === undefined && <Loading what='secrets' />}
      {shown !== undefined && (
        shown.length === 0
          ? <p class='empty'>{secrets?.length === 0 ? 'No secrets yet. Add one with "Add secret".' : 'No secret matches the filter.'}</p>
          : (
            <div class='table-scroll'>
              <table class='list'>
                <caption class='visually-hidden'>Secrets, {shown.length} shown</caption>
                <thead>
                  <tr><th scope='col'>Name</th><th scope='col'>Team</th><th scope='col'>Version</th><th scope='col'>Fingerprint</th><th scope='col'>Created</th><th scope='col'>Updated</th></tr>
                </thead>
                <tbody>
                  {shown.map(s => (
                    <tr key={s.id}>
                      <th scope='row' class='name' data-label='Name'><a href={secretHref(teamIdOf(s.team_name), s.name)}>{s.name}</a></th>
                      <td data-label='Team'>{s.team_name}</td>
                      <td data-label='Version'>{s.version}</td>
                      <td data-label='Fingerprint'><code>{s.fingerprint}</code></td>
                      <td data-label='Created'><Time iso={s.created_at} /></td>
                      <td data-label='Updated'><Time iso={s.updated_at} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            )
      )}
    </>
  )
}

/** "Add secret": a name and a value, checked as the server checks them before anything is sent. */
function AddSecret ({ onClose }: { onClose: () => void }) {
  const { api, team, teams } = useSession()
  const [name, setName] = useState('')
  const [value, setValue] = useState('')
  const [target, setTarget] = useState(team !== '' ? team : teams[0]?.id ?? '')
  const [touched, setTouched] = useState(false)
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const nameInput = useRef<HTMLInputElement>(null)
  useLayoutEffect(() => nameInput.current?.focus(), [])

  // an empty name is reported on submit, not when the field loses focus: appearing between a
  // button's mouse-down and mouse-up, the message moved the button away from the click
  const nameIssue = touched || name !== '' ? nameProblem(name) : undefined
  const valueIssue = valueProblem(value)
  const teamName = teams.find(t => t.id === target)?.name ?? 'your team'

  return (
    <form
      class='card' aria-labelledby='add-title' onSubmit={async e => {
        e.preventDefault()
        setTouched(true)
        if (nameProblem(name) !== undefined || valueIssue !== undefined) return
        setBusy(true)
        setError(undefined)
        try {
          const created = await api.createSecret(target, name, value)
          notice.set(`Secret "${created.name}" added to ${created.team_name}.`)
          navigate(secretHref(target, created.name))
        } catch (err) {
          setBusy(false)
          setError(err instanceof ApiError && err.status === 412
            ? `A secret named "${name}" already exists in ${teamName} (names that differ only in "-", "_" and "." are the same secret). Open it to change its value.`
            : messageOf(err))
        }
      }}
    >
      <h2 id='add-title'>Add secret</h2>
      {teams.length > 1 && (
        <div class='field'>
          <label for='new-team'>Team</label>
          <select id='new-team' value={target} onChange={e => setTarget(e.currentTarget.value)}>
            {teams.map(t => <option key={t.id} value={t.id}>{t.name}</option>)}
          </select>
        </div>
      )}
      <div class='field'>
        <label for='new-name'>Name</label>
        <p class='hint' id='new-name-hint'>Letters, digits, "-", "_" and "."; up to 253 characters.</p>
        <input
          id='new-name' ref={nameInput} type='text' value={name} autocomplete='off' spellcheck={false} autocapitalize='off'
          maxLength={300} aria-invalid={nameIssue !== undefined}
          aria-describedby={nameIssue === undefined ? 'new-name-hint' : 'new-name-hint new-name-problem'}
          onInput={e => setName(e.currentTarget.value)}
        />
        {nameIssue !== undefined && <p class='field-problem' id='new-name-problem'>{nameIssue}</p>}
      </div>
      <ValueField id='new-value' label='Value' hint='Any text up to 64 KiB; line breaks are kept.' value={value} problem={valueIssue} onValue={setValue} />
      <ErrorNote message={error} />
      <div class='actions'>
        <button type='submit' class='primary' disabled={busy}>{busy ? 'Adding…' : 'Add secret'}</button>
        <button type='button' onClick={() => onClose()}>Cancel</button>
      </div>
    </form>
  )
}
