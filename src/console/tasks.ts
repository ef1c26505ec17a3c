/**
 * The console's tasks view: the list with its filters, the form that creates a task, and one
 * task's detail (timeline, jobs, polls, expiry, result and pages, zip, move, delete).
 */
import { html } from 'htm/preact'
import type { VNode } from 'preact'
import { useState } from 'preact/hooks'
import { admin, ApiError, request, type ClockView, type TaskView, type TimelineView } from './api.js'
import { Field, fieldErrors, FormErrors, formatDuration, formatTime, JsonBlock, JsonFieldError, Panel, parseJsonField, type FieldErrors } from './ui.js'

/** The list's filters: org and status are the control API's query, kind is applied here. */
export interface TaskFilters {
  orgId: string
  kind: string
  status: string
}

/** What the live loop read for the selected task: its view and timeline, or gone (404). */
export type Selected = { task: TaskView; timeline: TimelineView } | { gone: true } | null

const STATUSES = ['queued', 'processing', 'completed', 'failed']

/** Time left before `expiresAt` on the mock's clock. */
function expiresIn(task: TaskView, clock: ClockView | null): string {
  if (!clock) return '—'
  const left = Date.parse(task.expiresAt) - Date.parse(clock.now)
  return left <= 0 ? 'expired' : formatDuration(left)
}

/** Jobs done out of the total, as a progress bar with its numbers in text. */
function Jobs(props: { task: TaskView }): VNode {
  const { total, pending } = props.task.jobs
  return html`<span class="jobs"><progress max=${total} value=${total - pending} aria-label=${`Jobs of ${props.task.id}`}></progress>
    <span>${total - pending}/${total}</span></span>`
}

function StatusBadge(props: { status: string }): VNode {
  return html`<span class=${`status status-${props.status}`}>${props.status}</span>`
}

/** The task list, with filters. */
export function TaskList(props: {
  tasks: TaskView[] | null
  more: boolean
  clock: ClockView | null
  orgs: string[]
  filters: TaskFilters
  onFilters: (filters: TaskFilters) => void
  selectedId: string | null
  onSelect: (id: string) => void
}): VNode {
  const { filters, onFilters } = props
  const kinds = [...new Set((props.tasks ?? []).map((task) => task.kind))].sort()
  if (filters.kind && !kinds.includes(filters.kind)) kinds.push(filters.kind)
  const shown = (props.tasks ?? []).filter((task) => !filters.kind || task.kind === filters.kind)
  const select = (name: keyof TaskFilters, label: string, options: string[]) => html`<div class="field">
      <label for=${`filter-${name}`}>${label}</label>
      <select id=${`filter-${name}`} value=${filters[name]} onChange=${(e: Event) => onFilters({ ...filters, [name]: (e.target as HTMLSelectElement).value })}>
        <option value="">all</option>
        ${options.map((option) => html`<option value=${option}>${option}</option>`)}
      </select>
    </div>`
  return html`<${Panel} id="tasks" title="Tasks">
    <div class="filters" role="group" aria-label="Filter the tasks">
      ${select('orgId', 'Org', props.orgs)} ${select('kind', 'Kind', kinds)} ${select('status', 'Status', STATUSES)}
    </div>
    ${props.tasks === null
      ? html`<p>Loading…</p>`
      : html`<div class="table-wrap"><table class="tasks">
          <caption class="visually-hidden">Tasks, ${shown.length} shown; choose one to see it</caption>
          <thead><tr><th scope="col">Task</th><th scope="col">Org</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Jobs done</th><th scope="col">Polls</th><th scope="col">Expires in</th></tr></thead>
          <tbody>
            ${shown.map(
              (task) => html`<tr key=${task.id} class=${task.id === props.selectedId ? 'selected' : ''} data-task=${task.id}>
                <td><button type="button" class="link mono" aria-pressed=${task.id === props.selectedId} title=${task.id} onClick=${() => props.onSelect(task.id)}>${shortId(task.id)}</button></td>
                <td class="mono" title=${task.orgId}>${shortId(task.orgId)}</td>
                <td>${task.kind}</td>
                <td><${StatusBadge} status=${task.status} /></td>
                <td><${Jobs} task=${task} /></td>
                <td>${task.polls}</td>
                <td>${expiresIn(task, props.clock)}</td>
              </tr>`
            )}
          </tbody>
        </table></div>
        ${shown.length === 0 ? html`<p>No tasks match.</p>` : null}
        ${props.more ? html`<p class="note">The first 1,000 tasks are shown; filter by org or status to see others.</p>` : null}`}
  <//>`
}

/** A UUID shortened for a narrow column (its full value is the cell's title). */
const shortId = (id: string): string => (/^[0-9a-f]{8}-/.test(id) ? `${id.slice(0, 8)}…${id.slice(-4)}` : id)

const CREATE_FIELDS = ['id', 'orgId', 'kind', 'jobs', 'createdAt', 'outcome', 'scenario', 'ttl', 'timeline', 'result', 'pages'] as const
type CreateField = (typeof CREATE_FIELDS)[number]
const JSON_FIELDS: readonly CreateField[] = ['timeline', 'result', 'pages']

/** The form that creates a task (`POST /__admin/tasks`); errors show beside their fields. */
export function CreateTask(props: { onCreated: (task: TaskView) => void }): VNode {
  const empty: Record<CreateField, string> = { id: '', orgId: '', kind: '', jobs: '', createdAt: '', outcome: '', scenario: '', ttl: '', timeline: '', result: '', pages: '' }
  const [values, setValues] = useState(empty)
  const [errors, setErrors] = useState<FieldErrors>({})
  const [busy, setBusy] = useState(false)
  const set = (field: CreateField) => (e: Event) => setValues({ ...values, [field]: (e.target as HTMLInputElement).value })

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    try {
      const spec: Record<string, unknown> = {}
      for (const field of CREATE_FIELDS) {
        const text = values[field]
        if (JSON_FIELDS.includes(field)) {
          const value = parseJsonField(field, text)
          if (value !== undefined) spec[field] = value
        } else if (text.trim() !== '') {
          // A number stays a number (jobs, or createdAt in epoch ms); the API judges the rest.
          spec[field] = (field === 'jobs' || field === 'createdAt' || field === 'ttl') && /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text.trim()
        }
      }
      const { task } = await admin<{ task: TaskView }>('tasks', { method: 'POST', body: spec })
      setErrors({})
      setValues(empty)
      props.onCreated(task)
    } catch (error) {
      setErrors(error instanceof JsonFieldError ? { [error.field]: [error.message] } : fieldErrors(error, CREATE_FIELDS))
    } finally {
      setBusy(false)
    }
  }

  const input = (field: CreateField, label: string, hint?: string, type = 'text') => html`<${Field} id=${`create-${field}`} label=${label} hint=${hint} errors=${errors[field]}>
      ${(describedBy: string | undefined, invalid: boolean) =>
        html`<input id=${`create-${field}`} name=${field} type=${type} value=${values[field]} onInput=${set(field)} aria-describedby=${describedBy} aria-invalid=${invalid} />`}
    <//>`
  const textarea = (field: CreateField, label: string, hint: string) => html`<${Field} id=${`create-${field}`} label=${label} hint=${hint} errors=${errors[field]}>
      ${(describedBy: string | undefined, invalid: boolean) =>
        html`<textarea id=${`create-${field}`} name=${field} rows="3" spellcheck="false" value=${values[field]} onInput=${set(field)} aria-describedby=${describedBy} aria-invalid=${invalid}></textarea>`}
    <//>`

  return html`<${Panel} id="create" title="Create a task">
    <form class="form" noValidate onSubmit=${submit}>
      <p class="hint">Every field is optional; blank ones take the control API's defaults.</p>
      <div class="grid">
        ${input('orgId', 'Org id', 'Default: org 1')}
        ${input('kind', 'Kind', 'Default: generic')}
        ${input('jobs', 'Jobs', 'An integer of at least 1', 'text')}
        <${Field} id="create-outcome" label="Outcome" errors=${errors.outcome}>
          ${(describedBy: string | undefined, invalid: boolean) => html`<select id="create-outcome" name="outcome" value=${values.outcome} onChange=${set('outcome')} aria-describedby=${describedBy} aria-invalid=${invalid}>
            <option value="">completed (default)</option><option value="completed">completed</option><option value="failed">failed</option>
          </select>`}
        <//>
        ${input('id', 'Task id', 'A UUID; default: a new one')}
        ${input('createdAt', 'Created at', 'ISO-8601 or epoch ms; default: now')}
        ${input('scenario', 'Scenario', 'A preset timeline and faults (see the scenarios list of the control API), e.g. slow or rate-limited; not with a timeline or outcome')}
        ${input('ttl', 'TTL', 'How long the task stays, e.g. 90s, 15m, 7d, or ms; default: TASK_TTL')}
      </div>
      ${textarea('timeline', 'Timeline (JSON)', 'Phases before the outcome, e.g. [{"status":"processing","polls":2}] or [{"status":"queued","ms":30000}]; default: processing for 1 poll')}
      ${textarea('result', 'Result (JSON)', 'The Result API\'s data; default {}')}
      ${textarea('pages', 'Pages (JSON array)', 'One JSON value per page, instead of a result')}
      <${FormErrors} errors=${errors} />
      <button type="submit" disabled=${busy}>Create task</button>
    </form>
  <//>`
}

/** The selected task: everything about it, and what can be done with it. */
export function TaskDetail(props: { selected: Selected; clock: ClockView | null; onChanged: () => void; onClose: () => void }): VNode | null {
  const { selected } = props
  const [preview, setPreview] = useState<{ label: string; value: unknown } | null>(null)
  const [page, setPage] = useState('0')
  const [moveTo, setMoveTo] = useState('completed')
  const [errors, setErrors] = useState<FieldErrors>({})
  const [note, setNote] = useState('')
  if (selected === null) return null
  if ('gone' in selected) {
    return html`<${Panel} id="detail" title="Task" actions=${html`<button type="button" class="secondary" onClick=${props.onClose}>Close</button>`}>
      <p role="status">This task is gone: it expired or was deleted.</p>
    <//>`
  }
  const { task, timeline } = selected
  const path = `tasks/${encodeURIComponent(task.id)}`
  const act = async (action: () => Promise<void>, fields: readonly string[] = []): Promise<void> => {
    try {
      await action()
      setErrors({})
    } catch (error) {
      setErrors(fieldErrors(error, fields))
    }
  }
  const show = (label: string, url: string) =>
    act(async () => {
      try {
        setPreview({ label, value: await admin(url) })
      } catch (error) {
        // Not completed yet: the 400 body (rule 6) says where the task stands.
        if (error instanceof ApiError && error.status === 400) setPreview({ label, value: error.body })
        else throw error
      }
    })
  const download = () =>
    act(async () => {
      const response = await request(`__admin/${path}/download`)
      const url = URL.createObjectURL(await response.blob())
      const link = document.createElement('a')
      link.href = url
      link.download = `${task.id}.zip`
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      setNote(`Downloaded ${task.id}.zip`)
    }).catch(() => undefined)
  const move = (e: Event) => {
    e.preventDefault()
    return act(async () => {
      await admin(`${path}/transition`, { method: 'POST', body: { status: moveTo } })
      props.onChanged()
    }, ['status'])
  }
  const remove = () =>
    act(async () => {
      await admin(path, { method: 'DELETE' })
      props.onClose()
      props.onChanged()
    })

  return html`<${Panel} id="detail" title="Task" actions=${html`<button type="button" class="secondary" onClick=${props.onClose}>Close</button>`}>
    <dl class="facts">
      <dt>Id</dt><dd class="mono">${task.id}</dd>
      <dt>Org</dt><dd class="mono">${task.orgId}</dd>
      <dt>Kind</dt><dd>${task.kind}</dd>
      <dt>Status</dt><dd><${StatusBadge} status=${task.status} /></dd>
      <dt>Jobs done</dt><dd><${Jobs} task=${task} /></dd>
      <dt>Polls</dt><dd>${task.polls}</dd>
      <dt>Pages</dt><dd>${task.pages ?? 'none (a result)'}</dd>
      <dt>Created</dt><dd>${formatTime(task.createdAt)}</dd>
      <dt>Expires</dt><dd>${formatTime(task.expiresAt)} (<span class="countdown">${expiresIn(task, props.clock)}</span>)</dd>
    </dl>
    <h3>Timeline</h3>
    <${Timeline} timeline=${timeline} status=${task.status} />
    <div class="actions">
      <form class="inline" onSubmit=${move}>
        <label for="move-status">Move to</label>
        <select id="move-status" value=${moveTo} onChange=${(e: Event) => setMoveTo((e.target as HTMLSelectElement).value)}>
          <option value="processing">processing</option><option value="completed">completed</option><option value="failed">failed</option>
        </select>
        <button type="submit">Move</button>
      </form>
      <button type="button" onClick=${() => show('Result', `${path}/result`)}>Show result</button>
      <form class="inline" onSubmit=${(e: Event) => { e.preventDefault(); return show(`Page ${page}`, `${path}/pages/${encodeURIComponent(page)}`) }}>
        <label for="page-number">Page</label>
        <input id="page-number" class="narrow" inputMode="numeric" value=${page} onInput=${(e: Event) => setPage((e.target as HTMLInputElement).value)} />
        <button type="submit">Show page</button>
      </form>
      <button type="button" onClick=${download}>Download zip</button>
      <button type="button" class="danger" onClick=${remove}>Delete task</button>
    </div>
    <${FormErrors} errors=${{ '': [...(errors[''] ?? []), ...(errors.status ?? [])] }} />
    ${note ? html`<p role="status" class="note">${note}</p>` : null}
    ${preview ? html`<h3>${preview.label}</h3><${JsonBlock} value=${preview.value} label=${preview.label} />` : null}
  <//>`
}

/** The timeline drawn as its phases, then the outcome, with the one that holds now marked. */
function Timeline(props: { timeline: TimelineView; status: string }): VNode {
  const { timeline } = props
  const length = (phase: TimelineView['phases'][number]): string =>
    phase.ms !== undefined ? formatDuration(phase.ms) : phase.polls !== undefined ? `${phase.polls} poll${phase.polls === 1 ? '' : 's'}` : 'until moved'
  const moved = timeline.move
  const current = moved ? -1 : timeline.current
  return html`<div>
    <ol class="timeline">
      ${timeline.phases.map(
        (phase, index) => html`<li class=${`step ${index < current || (moved && phase.startedAt) ? 'past' : ''} ${index === current ? 'now' : ''}`} aria-current=${index === current ? 'step' : undefined}>
          <span class="step-status">${phase.status}</span>
          <span class="step-length">${length(phase)}</span>
          <span class="step-time">${phase.startedAt ? `from ${formatTime(phase.startedAt)}` : 'start not known yet'}</span>
          ${index === current ? html`<span class="now-mark">now</span>` : null}
        </li>`
      )}
      <li class=${`step outcome ${current === timeline.phases.length ? 'now' : ''}`} aria-current=${current === timeline.phases.length ? 'step' : undefined}>
        <span class="step-status">${timeline.outcome}</span>
        <span class="step-length">outcome</span>
        <span class="step-time">${timeline.outcomeAt ? `at ${formatTime(timeline.outcomeAt)}` : 'time not known yet'}</span>
        ${current === timeline.phases.length ? html`<span class="now-mark">now</span>` : null}
      </li>
    </ol>
    ${moved ? html`<p class="note">Moved to <strong>${moved.status}</strong> at ${formatTime(moved.at)} through the control API: the timeline no longer applies (now: ${props.status}).</p>` : null}
  </div>`
}
