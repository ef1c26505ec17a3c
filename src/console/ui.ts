/**
 * Small pieces the console's views share: form fields that show the control API's validation
 * errors beside themselves, how times and durations read, and JSON text fields.
 */
import { html } from 'htm/preact'
import type { ComponentChildren, VNode } from 'preact'
import { ApiError } from './api.js'

/** Errors of a form, by field name; `''` holds those that belong to no field. */
export type FieldErrors = Record<string, string[]>

/**
 * Sorts an answer's errors onto a form's fields: each `details` path (`/jobs`, `/timeline/0/ms`)
 * goes to the field named by its first segment when the form has one, else to the form itself;
 * any other error goes to the form as its code (`409 err-task-exists`).
 */
export function fieldErrors(error: unknown, fields: readonly string[]): FieldErrors {
  const errors: FieldErrors = {}
  const add = (field: string, message: string): void => {
    ;(errors[field] ??= []).push(message)
  }
  if (!(error instanceof ApiError)) {
    add('', error instanceof Error ? error.message : String(error))
    return errors
  }
  const details = error.details
  if (details.length === 0) add('', `${error.status} ${ApiError.codeOf(error.body) ?? 'error'}`)
  for (const { path, message } of details) {
    const first = path.split('/')[1] ?? ''
    if (fields.includes(first)) add(first, path.split('/').length > 2 ? `${path}: ${message}` : message)
    else add('', `${path || 'body'}: ${message}`)
  }
  return errors
}

/** Thrown by {@link parseJsonField} for a field whose text is not JSON. */
export class JsonFieldError extends Error {
  constructor(readonly field: string) {
    super('must be valid JSON')
  }
}

/** The JSON value of a text field, or undefined when it is blank. @throws {JsonFieldError} */
export function parseJsonField(field: string, text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new JsonFieldError(field)
  }
}

/** A labelled form control with its hint and errors, tied together for assistive technology. */
export function Field(props: { id: string; label: string; hint?: string; errors?: string[] | undefined; children: (describedBy: string | undefined, invalid: boolean) => VNode }): VNode {
  const { id, label, hint, errors } = props
  const invalid = (errors?.length ?? 0) > 0
  const describedBy = [hint ? `${id}-hint` : '', invalid ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined
  return html`<div class=${`field${invalid ? ' invalid' : ''}`}>
    <label for=${id}>${label}</label>
    ${props.children(describedBy, invalid)}
    ${hint ? html`<small id=${`${id}-hint`} class="hint">${hint}</small>` : null}
    ${invalid ? html`<p id=${`${id}-error`} class="error" role="alert" data-field-error=${id}>${errors?.join('; ')}</p>` : null}
  </div>`
}

/** The errors that belong to no field, above a form's button. */
export function FormErrors(props: { errors: FieldErrors }): VNode | null {
  const general = props.errors[''] ?? []
  if (general.length === 0) return null
  return html`<p class="error" role="alert">${general.join('; ')}</p>`
}

/** A section of the page with its heading (h2) and an id for the heading. */
export function Panel(props: { id: string; title: string; actions?: ComponentChildren; children: ComponentChildren }): VNode {
  return html`<section class="panel" aria-labelledby=${`${props.id}-title`}>
    <div class="panel-head"><h2 id=${`${props.id}-title`}>${props.title}</h2>${props.actions}</div>
    ${props.children}
  </section>`
}

/** A duration in ms as people read it: `6 d 23 h`, `4 min 10 s`, `850 ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`
  const s = Math.floor(ms / 1000)
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3_600], ['min', 60], ['s', 1]]
  const parts: string[] = []
  let left = s
  for (const [unit, size] of units) {
    const n = Math.floor(left / size)
    left -= n * size
    if (n > 0 || (parts.length > 0 && parts.length < 2)) parts.push(`${n} ${unit}`)
    if (parts.length === 2) break
  }
  return parts.join(' ')
}

/** An ISO-8601 instant shown as `2026-12-03 13:15:20 UTC` (the mock's clock is UTC). */
export function formatTime(iso: string | null): string {
  if (iso === null) return '—'
  return iso.replace('T', ' ').replace(/\.\d{3}Z$|Z$/, ' UTC')
}

/** JSON shown in a scrollable block. */
export function JsonBlock(props: { value: unknown; label: string }): VNode {
  return html`<pre class="json" tabindex="0" aria-label=${props.label}>${JSON.stringify(props.value, null, 2)}</pre>`
}
