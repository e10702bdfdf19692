import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { ApiError, messageOf, type Secret, type SecretVersion } from '../api'
import { ConfirmDialog, CopyButton, ErrorNote, Loading, StatusNote, Time, ValueField } from '../components'
import { navigate, useSession } from '../session'
import { notice, valueProblem } from '../util'

/**
 * One secret: its metadata, its value after an explicit "Reveal", a new value, its versions with
 * rollback, and delete. The page is mounted afresh for each route, so a revealed value is gone
 * as soon as the person navigates anywhere else.
 */
export function SecretPage ({ team, name }: { team: string, name: string }) {
  const { api } = useSession()
  const [secret, setSecret] = useState<Secret>()
  const [versions, setVersions] = useState<SecretVersion[]>()
  const [error, setError] = useState<string>()
  const [status, setStatus] = useState(() => notice.take())
  const [value, setValue] = useState<string>()
  const [revealError, setRevealError] = useState<string>()
  const [editing, setEditing] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const [busy, setBusy] = useState(false)
  const [actionError, setActionError] = useState<string>()
  const [deleteError, setDeleteError] = useState<string>()

  const load = useCallback(async () => {
    try {
      const [meta, history] = await Promise.all([api.getSecret(team, name), api.versions(team, name)])
      setSecret(meta)
      setVersions(history)
      setError(undefined)
    } catch (err) {
      setError(messageOf(err))
    }
  }, [api, team, name])
  useEffect(() => { load() }, [load])
  // when the edit form closes (saved or cancelled) the focus goes back to the button that opened
  // it, not to nowhere
  const wasEditing = useRef(false)
  useLayoutEffect(() => {
    if (wasEditing.current && !editing) document.getElementById('edit-button')?.focus()
    wasEditing.current = editing
  }, [editing])

  const conflictOr = (err: unknown): string =>
    err instanceof ApiError && err.code === 'version_mismatch'
      ? `The secret changed while you were looking at it: it is now at version ${String(err.body.current_version)}. The page shows it as it is now; try again.`
      : messageOf(err)

  async function reveal (): Promise<void> {
    setRevealError(undefined)
    try {
      setValue((await api.readValue(team, name)).value)
    } catch (err) {
      setRevealError(messageOf(err))
    }
  }

  async function rollback (version: number): Promise<void> {
    setBusy(true)
    setActionError(undefined)
    let message: string | undefined
    try {
      const updated = await api.rollback(team, name, version, secret?.version)
      setValue(undefined)
      message = updated.version === secret?.version
        ? `Version ${version} holds the current value already; nothing changed.`
        : `Rolled back: version ${updated.version ?? ''} holds the value of version ${version}.`
    } catch (err) {
      setActionError(conflictOr(err))
    }
    // reloaded before the message shows, so it never sits beside the old version
    await load()
    setBusy(false)
    if (message !== undefined) setStatus(message)
  }

  if (secret === undefined) {
    return (
      <>
        <p class='crumbs'><a href='#/secrets'>Secrets</a></p>
        <h1 tabIndex={-1} class='secret-name'>{name}</h1>
        <ErrorNote message={error} />
        {error === undefined && <Loading what='the secret' />}
      </>
    )
  }

  return (
    <>
      <p class='crumbs'><a href='#/secrets'>Secrets</a> <span aria-hidden='true'>/</span> {secret.team_name}</p>
      <h1 tabIndex={-1} class='secret-name'>{secret.name}</h1>
      <StatusNote message={status} />
      <ErrorNote message={error} />

      <dl class='meta'>
        <div><dt>Team</dt><dd>{secret.team_name}</dd></div>
        <div><dt>Version</dt><dd>{secret.version}</dd></div>
        <div><dt>Fingerprint</dt><dd><code>{secret.fingerprint}</code></dd></div>
        <div><dt>Created</dt><dd><Time iso={secret.created_at} /></dd></div>
        <div><dt>Updated</dt><dd><Time iso={secret.updated_at} /></dd></div>
      </dl>

      <section class='card' aria-labelledby='value-title'>
        <h2 id='value-title'>Value</h2>
        {value === undefined
          ? (
            <>
              <p class='hint'>The value stays hidden until you reveal it. Each reveal is recorded in the audit log.</p>
              <button type='button' onClick={() => { reveal() }}>Reveal value</button>
            </>
            )
          : (
            <>
              <pre class='revealed' aria-label={`Value of ${secret.name}`}>{value}</pre>
              <div class='actions'>
                <button type='button' onClick={() => setValue(undefined)}>Hide value</button>
                <CopyButton text={value} label='Copy value' />
              </div>
            </>
            )}
        <ErrorNote message={revealError} />
        {!editing && <p><button type='button' id='edit-button' onClick={() => setEditing(true)}>Edit value</button></p>}
        {editing && (
          <EditValue
            secret={secret} team={team} onConflict={load} onDone={async message => {
              setEditing(false)
              if (message !== undefined) {
                setValue(undefined)
                // reloaded first: "saved as version 3" never shows beside the old version
                await load()
                setStatus(message)
              }
            }}
          />
        )}
      </section>

      <section class='card' aria-labelledby='history-title'>
        <h2 id='history-title'>Version history</h2>
        <ErrorNote message={actionError} />
        {versions === undefined
          ? <Loading what='versions' />
          : (
            <div class='table-scroll'>
              <table class='list'>
                <caption class='visually-hidden'>Kept versions of {secret.name}, newest first</caption>
                <thead><tr><th scope='col'>Version</th><th scope='col'>Stored</th><th scope='col'>By key</th><th scope='col'>Fingerprint</th><th scope='col'><span class='visually-hidden'>Action</span></th></tr></thead>
                <tbody>
                  {versions.map(v => (
                    <tr key={v.version}>
                      <th scope='row' data-label='Version'><span>{v.version}{v.current && <span class='badge'>current</span>}</span></th>
                      <td data-label='Stored'><Time iso={v.created_at} /></td>
                      <td data-label='By key'><code>{v.created_by ?? 'unknown'}</code></td>
                      <td data-label='Fingerprint'><code>{v.fingerprint}</code></td>
                      <td data-label='Action'>
                        {!v.current && (
                          <button type='button' disabled={busy} onClick={() => { rollback(v.version) }}>
                            Roll back to version {v.version}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            )}
      </section>

      <section class='card danger-zone' aria-labelledby='delete-title'>
        <h2 id='delete-title'>Delete</h2>
        <p class='hint'>A deleted secret goes to the trash with all its versions and can be restored from there until its recovery window ends.</p>
        <button type='button' class='danger' onClick={() => setDeleting(true)}>Delete secret</button>
      </section>

      {deleting && (
        <ConfirmDialog
          title={`Delete "${secret.name}"?`} confirmLabel='Delete' busy={busy} error={deleteError}
          onCancel={() => {
            setDeleting(false)
            setDeleteError(undefined)
          }}
          onConfirm={async () => {
            setBusy(true)
            setDeleteError(undefined)
            try {
              await api.deleteSecret(team, name, secret.version)
              notice.set(`Secret "${secret.name}" moved to the trash. You can restore it from Trash.`)
              navigate('#/secrets')
            } catch (err) {
              // after a conflict the page takes on the version that is there now, as it says
              if (err instanceof ApiError && err.code === 'version_mismatch') await load()
              setBusy(false)
              setDeleteError(conflictOr(err))
            }
          }}
        >
          <p>
            It moves to the trash of {secret.team_name}, with {versions?.length === 1 ? 'its only version' : 'all its kept versions'},
            and programs that read it will no longer find it.
          </p>
        </ConfirmDialog>
      )}
    </>
  )
}

function EditValue ({ secret, team, onDone, onConflict }: {
  secret: Secret
  team: string
  onDone: (message?: string) => Promise<void>
  /** reloads the page's secret, so the next save is checked against the version there now */
  onConflict: () => Promise<void>
}) {
  const { api } = useSession()
  const [value, setValue] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  useLayoutEffect(() => document.getElementById('edit-value')?.focus(), [])
  const problem = valueProblem(value)

  return (
    <form
      class='edit' aria-labelledby='edit-title' onSubmit={async e => {
        e.preventDefault()
        if (problem !== undefined) return
        setBusy(true)
        setError(undefined)
        try {
          // If-Match: a value someone else stored meanwhile is never overwritten unseen
          const updated = await api.updateSecret(team, secret.name, value, secret.version)
          await onDone(updated.version === secret.version
            ? 'The new value is the same as the current one; no new version was made.'
            : `Value saved as version ${updated.version ?? ''}.`)
        } catch (err) {
          const conflict = err instanceof ApiError && err.code === 'version_mismatch'
          if (conflict) await onConflict()
          setBusy(false)
          setError(conflict
            ? `The secret changed while you were editing: it is now at version ${String(err.body.current_version)}, shown above with its history. Save again to replace that version with your value, or cancel.`
            : messageOf(err))
        }
      }}
    >
      <h3 id='edit-title'>New value</h3>
      <ValueField id='edit-value' label={`New value for ${secret.name}`} value={value} problem={problem} onValue={setValue} />
      <ErrorNote message={error} />
      <div class='actions'>
        <button type='submit' class='primary' disabled={busy}>{busy ? 'Saving…' : 'Save new value'}</button>
        <button type='button' onClick={() => { onDone() }}>Cancel</button>
      </div>
    </form>
  )
}
