import { useCallback, useEffect, useState } from 'preact/hooks'
import { ApiError, AUDIT_EVENT_TYPES, messageOf, type AuditEntry, type AuditFilters, type AuditVerification } from '../api'
import { ErrorNote, Loading, Time } from '../components'
import { useSession } from '../session'
import { localToIso } from '../util'

const PAGE = 50

export function AuditPage () {
  const { api } = useSession()
  const [form, setForm] = useState({ event_type: '', secret_name: '', key_id: '', since: '', until: '' })
  const [filters, setFilters] = useState<AuditFilters>({})
  const [entries, setEntries] = useState<AuditEntry[]>()
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const fetchPage = useCallback(async (applied: AuditFilters, after?: string) => {
    setBusy(true)
    setError(undefined)
    try {
      const page = await api.auditLogs({ ...applied, limit: PAGE, cursor: after })
      setEntries(previous => after === undefined ? page.audit_logs : [...previous ?? [], ...page.audit_logs])
      setCursor(page.next_cursor)
    } catch (err) {
      if (after === undefined) setEntries(undefined)
      setError(messageOf(err))
    }
    setBusy(false)
  }, [api])
  useEffect(() => { fetchPage(filters) }, [fetchPage, filters])

  const set = (field: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [field]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value })

  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <ChainCheck />
      <form
        class='card filters' aria-labelledby='filters-title' onSubmit={e => {
          e.preventDefault()
          setFilters({
            event_type: form.event_type,
            secret_name: form.secret_name.trim(),
            key_id: form.key_id.trim(),
            since: localToIso(form.since),
            until: localToIso(form.until)
          })
        }}
      >
        <h2 id='filters-title'>Filters</h2>
        <div class='filter-grid'>
          <div class='field'>
            <label for='audit-event'>Event</label>
            <select id='audit-event' value={form.event_type} onChange={set('event_type')}>
              <option value=''>Any event</option>
              {AUDIT_EVENT_TYPES.map(type => <option key={type} value={type}>{type}</option>)}
            </select>
          </div>
          <div class='field'>
            <label for='audit-secret'>Secret name <span class='hint-inline'>(exact)</span></label>
            <input id='audit-secret' type='text' value={form.secret_name} autocomplete='off' spellcheck={false} onInput={set('secret_name')} />
          </div>
          <div class='field'>
            <label for='audit-key'>Key ID</label>
            <input id='audit-key' type='text' value={form.key_id} autocomplete='off' spellcheck={false} onInput={set('key_id')} />
          </div>
          <div class='field'>
            <label for='audit-since'>From</label>
            <input id='audit-since' type='datetime-local' value={form.since} onInput={set('since')} />
          </div>
          <div class='field'>
            <label for='audit-until'>Until</label>
            <input id='audit-until' type='datetime-local' value={form.until} onInput={set('until')} />
          </div>
        </div>
        <div class='actions'>
          <button type='submit' class='primary'>Apply filters</button>
          <button
            type='button' onClick={() => {
              setForm({ event_type: '', secret_name: '', key_id: '', since: '', until: '' })
              setFilters({})
            }}
          >Clear
          </button>
        </div>
      </form>

      <h2>Entries</h2>
      <ErrorNote message={error} />
      {entries === undefined && error === undefined && <Loading what='the audit log' />}
      {entries !== undefined && (entries.length === 0
        ? <p class='empty'>No entries match.</p>
        : (
          <div class='table-scroll'>
            <table class='list audit'>
              <caption class='visually-hidden'>Audit log entries, newest first</caption>
              <thead>
                <tr><th scope='col'>#</th><th scope='col'>Time</th><th scope='col'>Event</th><th scope='col'>Outcome</th><th scope='col'>Key</th><th scope='col'>Team</th><th scope='col'>Secret</th><th scope='col'>Detail</th><th scope='col'>Address</th></tr>
              </thead>
              <tbody>
                {entries.map(entry => (
                  <tr key={entry.id} class={entry.outcome === 'success' ? undefined : 'refused'}>
                    <td data-label='#'>{entry.id}</td>
                    <td data-label='Time'><Time iso={entry.created_at} /></td>
                    <th scope='row' data-label='Event'>{entry.event_type}</th>
                    <td data-label='Outcome'>{entry.outcome}</td>
                    <td data-label='Key'><code>{entry.key_id ?? '–'}</code></td>
                    <td data-label='Team'>{entry.team_name ?? '–'}</td>
                    <td class='name' data-label='Secret'>{entry.secret_name ?? '–'}</td>
                    <td data-label='Detail' class='detail'>{entry.detail ?? ''}</td>
                    <td data-label='Address'>{entry.client_ip ?? '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          ))}
      {cursor !== null && entries !== undefined && (
        <p><button type='button' disabled={busy} onClick={() => { fetchPage(filters, cursor) }}>Load older entries</button></p>
      )}
    </>
  )
}

/** The result of GET /v1/audit_logs/verify, checked when the page opens and on demand. */
function ChainCheck () {
  const { api } = useSession()
  const [result, setResult] = useState<AuditVerification>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  // a key without audit:read: the list above the entries says so already, once is enough
  const [withoutScope, setWithoutScope] = useState(false)

  const check = useCallback(async () => {
    setBusy(true)
    setError(undefined)
    try {
      setResult(await api.verifyAudit())
    } catch (err) {
      setResult(undefined)
      setError(messageOf(err))
      setWithoutScope(err instanceof ApiError && err.code === 'insufficient_scope')
    }
    setBusy(false)
  }, [api])
  useEffect(() => { check() }, [check])

  if (withoutScope) return null
  return (
    <section class={`card chain ${result === undefined ? '' : result.valid ? 'chain-ok' : 'chain-bad'}`} aria-labelledby='chain-title' aria-live='polite'>
      <h2 id='chain-title'>Hash chain check</h2>
      {result === undefined && error === undefined && <Loading what='the check' />}
      <ErrorNote message={error} />
      {result !== undefined && (result.valid
        ? (
          <p class='chain-result'>
            <strong>The chain is intact.</strong> {result.entries} {result.entries === 1 ? 'entry' : 'entries'} checked
            {result.head !== null && <>; the last is #{result.head.id} with hash <code class='hash'>{result.head.hash}</code></>}.
            Keep the last hash somewhere else to notice later if entries were cut off the end.
          </p>
          )
        : (
          <p class='chain-result'>
            <strong>The chain is broken at entry #{result.first_invalid_id}.</strong> An entry was edited, deleted or moved in the
            database: {result.entries} {result.entries === 1 ? 'entry was' : 'entries were'} checked.
          </p>
          ))}
      <button type='button' disabled={busy} onClick={() => { check() }}>Check again</button>
    </section>
  )
}
