import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { copyText, formatTime } from './util'

/** An error in words, announced to screen readers. */
export function ErrorNote ({ message }: { message: string | undefined }) {
  if (message === undefined || message === '') return null
  return <p class='note note-error' role='alert'>{message}</p>
}

/** The outcome of an action, announced politely. */
export function StatusNote ({ message }: { message: string | undefined }) {
  return <p class={message === undefined || message === '' ? 'visually-hidden' : 'note note-ok'} role='status'>{message}</p>
}

export function Time ({ iso }: { iso: string | null | undefined }) {
  if (iso === null || iso === undefined) return <span class='muted'>never</span>
  return <time dateTime={iso} title={iso}>{formatTime(iso)}</time>
}

export function Loading ({ what }: { what: string }) {
  return <p class='muted' aria-busy='true'>Loading {what}…</p>
}

/** Copies text and says so on the button for two seconds. */
export function CopyButton ({ text, label = 'Copy' }: { text: string, label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  useEffect(() => {
    if (state === 'idle') return
    const timer = setTimeout(() => setState('idle'), 2000)
    return () => clearTimeout(timer)
  }, [state])
  return (
    <button type='button' onClick={async () => setState(await copyText(text) ? 'copied' : 'failed')}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text and copy it' : label}
    </button>
  )
}

/**
 * A multi-line value field, masked until "Show value" is ticked. The masking is CSS
 * (-webkit-text-security, or a blur where that is missing), so the field keeps its line breaks.
 * Spell-checking and autofill are off: neither should ever see a secret.
 */
export function ValueField (props: {
  id: string
  label: string
  value: string
  problem?: string
  hint?: string
  onValue: (value: string) => void
}) {
  const [shown, setShown] = useState(false)
  const describedBy = [props.hint === undefined ? '' : `${props.id}-hint`, props.problem === undefined ? '' : `${props.id}-problem`]
    .filter(Boolean).join(' ')
  return (
    <div class='field'>
      <label for={props.id}>{props.label}</label>
      {props.hint !== undefined && <p class='hint' id={`${props.id}-hint`}>{props.hint}</p>}
      <textarea
        id={props.id}
        class={shown ? 'value-input' : 'value-input masked'}
        rows={5}
        value={props.value}
        spellcheck={false}
        autocomplete='off'
        autocapitalize='off'
        aria-invalid={props.problem !== undefined}
        aria-describedby={describedBy === '' ? undefined : describedBy}
        onInput={e => props.onValue(e.currentTarget.value)}
      />
      {props.problem !== undefined && <p class='field-problem' id={`${props.id}-problem`}>{props.problem}</p>}
      <label class='check'>
        <input type='checkbox' checked={shown} onChange={e => setShown(e.currentTarget.checked)} /> Show value
      </label>
    </div>
  )
}

/**
 * A modal confirmation (the native <dialog>: focus stays inside, Escape cancels). Cancel has
 * the focus, so Enter alone never confirms a destructive action.
 */
export function ConfirmDialog (props: {
  title: string
  confirmLabel: string
  busy?: boolean
  error?: string
  children?: ComponentChildren
  onConfirm: () => void
  onCancel: () => void
}) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const dialog = ref.current
    if (dialog !== null && !dialog.open) dialog.showModal()
    return () => { if (dialog?.open === true) dialog.close() }
  }, [])
  return (
    <dialog
      ref={ref}
      class='dialog'
      aria-labelledby='dialog-title'
      onCancel={e => {
        e.preventDefault()
        props.onCancel()
      }}
    >
      <h2 id='dialog-title'>{props.title}</h2>
      {props.children}
      <ErrorNote message={props.error} />
      <div class='actions'>
        <button type='button' class='danger' disabled={props.busy} onClick={() => props.onConfirm()}>{props.confirmLabel}</button>
        <button type='button' autofocus onClick={() => props.onCancel()}>Cancel</button>
      </div>
    </dialog>
  )
}
