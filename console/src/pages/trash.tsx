import { useCallback, useEffect, useState } from 'preact/hooks'
import { messageOf, type Secret, type TrashedSecret } from '../api'
import { ErrorNote, Loading, StatusNote, Time } from '../components'
import { secretHref, useSession } from '../session'

export function TrashPage () {
  const { api, team, teamIdOf } = useSession()
  const [trashed, setTrashed] = useState<TrashedSecret[]>()
  const [error, setError] = useState<string>()
  const [restored, setRestored] = useState<Secret>()
  const [busy, setBusy] = useState(false)

  const load = useCallback(async () => {
    try {
      setTrashed(await api.listTrash(team))
    } catch (err) {
      setTrashed(undefined)
      setError(messageOf(err))
    }
  }, [api, team])
  useEffect(() => { load() }, [load])

  async function restore (item: TrashedSecret): Promise<void> {
    setBusy(true)
    setError(undefined)
    setRestored(undefined)
    try {
      const secret = await api.restore(teamIdOf(item.team_name), item.name)
      await load()
      setRestored(secret)
    } catch (err) {
      setError(messageOf(err))
      await load()
    }
    setBusy(false)
  }

  return (
    <>
      <h1 tabIndex={-1}>Trash</h1>
      <p class='hint'>Deleted secrets stay here, with their versions, until the time shown; then they are destroyed.</p>
      <StatusNote message={restored === undefined ? undefined : `Secret "${restored.name}" restored to ${restored.team_name} at version ${restored.version ?? ''}.`} />
      {restored !== undefined && <p><a href={secretHref(teamIdOf(restored.team_name), restored.name)}>Open {restored.name}</a></p>}
      <ErrorNote message={error} />
      {trashed === undefined && error === undefined && <Loading what='the trash' />}
      {trashed !== undefined && (trashed.length === 0
        ? <p class='empty'>The trash is empty.</p>
        : (
          <div class='table-scroll'>
            <table class='list'>
              <caption class='visually-hidden'>Deleted secrets, most recent first</caption>
              <thead>
                <tr><th scope='col'>Name</th><th scope='col'>Team</th><th scope='col'>Deleted</th><th scope='col'>Restorable until</th><th scope='col'>Version</th><th scope='col'>Fingerprint</th><th scope='col'><span class='visually-hidden'>Action</span></th></tr>
              </thead>
              <tbody>
                {trashed.map(item => (
                  <tr key={`${item.id}-${item.deleted_at}`}>
                    <th scope='row' class='name' data-label='Name'>{item.name}</th>
                    <td data-label='Team'>{item.team_name}</td>
                    <td data-label='Deleted'><Time iso={item.deleted_at} /></td>
                    <td data-label='Restorable until'><Time iso={item.purge_at} /></td>
                    <td data-label='Version'>{item.version}</td>
                    <td data-label='Fingerprint'><code>{item.fingerprint}</code></td>
                    <td data-label='Action'>
                      <button type='button' disabled={busy} onClick={() => { restore(item) }}>
                        Restore<span class='visually-hidden'> {item.name}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          ))}
    </>
  )
}
