/**
 * The console (docs/behaviour.md §18): a page built on the control API alone. One live loop reads
 * what the open view shows (the clock, plus the task list and the selected task, or the journal,
 * the faults, the operations or the report) at most once a second, never one request per task.
 * Preact renders it; htm gives Preact's components a JSX-like syntax in plain template literals,
 * with no compile step of its own.
 */
import './console.css'
import { html } from 'htm/preact'
import { render, type VNode } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { admin, ApiError, saveNamespace, savedNamespace, saveToken, savedToken, Unauthorized, type ClockView, type Fault, type JournalEntry, type OperationView, type Report, type TaskView, type TimelineView } from './api.js'
import { Faults, Journal, Operations, readReport, ReportView } from './panels.js'
import { CreateTask, TaskDetail, TaskList, type Selected, type TaskFilters } from './tasks.js'
import { Field, fieldErrors, FormErrors, formatTime, type FieldErrors } from './ui.js'

/** How often the live loop reads, in ms (the contract: at most once a second). */
const LIVE_MS = 1000

const VIEWS = [
  ['tasks', 'Tasks'],
  ['journal', 'Journal'],
  ['faults', 'Faults'],
  ['operations', 'Operations'],
  ['report', 'Report']
] as const
type View = (typeof VIEWS)[number][0]

/** What the live loop last read. */
interface Live {
  clock: ClockView | null
  tasks: TaskView[] | null
  /** Whether the list goes on past the page shown (the control API's `next`). */
  more: boolean
  selected: Selected
  requests: JournalEntry[] | null
  faults: Fault[] | null
  operations: OperationView[] | null
  report: Report | 'unavailable' | null
}
const NOTHING: Live = { clock: null, tasks: null, more: false, selected: null, requests: null, faults: null, operations: null, report: null }

/** Reads what `view` shows (and the clock, shown on every view). */
async function read(view: View, filters: TaskFilters, selectedId: string | null): Promise<Partial<Live>> {
  const clock = admin<ClockView>('clock')
  switch (view) {
    case 'tasks': {
      const query = new URLSearchParams({ limit: '1000' })
      if (filters.orgId) query.set('orgId', filters.orgId)
      if (filters.status) query.set('status', filters.status)
      const tasks = admin<{ tasks: TaskView[]; next: string | null }>(`tasks?${query}`)
      let selected: Promise<Selected> = Promise.resolve(null)
      if (selectedId) {
        const path = `tasks/${encodeURIComponent(selectedId)}`
        selected = Promise.all([admin<{ task: TaskView }>(path), admin<{ timeline: TimelineView }>(`${path}/timeline`)]).then(
          ([{ task }, { timeline }]) => ({ task, timeline }),
          (error: unknown) => {
            if (error instanceof ApiError && error.status === 404) return { gone: true as const }
            throw error
          }
        )
      }
      const list = await tasks
      return { clock: await clock, tasks: list.tasks, more: list.next !== null, selected: await selected }
    }
    case 'journal':
      return { clock: await clock, requests: (await admin<{ requests: JournalEntry[] }>('requests?limit=200')).requests }
    case 'faults': {
      const [c, faults, operations] = await Promise.all([clock, admin<{ faults: Fault[] }>('faults'), admin<{ operations: OperationView[] }>('operations')])
      return { clock: c, faults: faults.faults, operations: operations.operations }
    }
    case 'operations':
      return { clock: await clock, operations: (await admin<{ operations: OperationView[] }>('operations')).operations }
    case 'report':
      return { clock: await clock, report: await readReport() }
  }
}

/** The token prompt, shown when the control API answers 401. The token is kept for the tab only. */
function TokenPrompt(props: { rejected: boolean; onToken: () => void }): VNode {
  const [token, setToken] = useState('')
  const submit = (e: Event): void => {
    e.preventDefault()
    saveToken(token)
    setToken('')
    props.onToken()
  }
  return html`<main id="main" class="token">
    <section class="panel" aria-labelledby="token-title">
      <h2 id="token-title">Admin token</h2>
      <form class="form" onSubmit=${submit}>
        <p>This server's control API needs its <code>ADMIN_TOKEN</code>. It is kept in this tab only, and sent to <code>/__admin</code> as a bearer token.</p>
        <${Field} id="admin-token" label="Admin token" errors=${props.rejected ? ['That token was refused (401); try again.'] : undefined}>
          ${(describedBy: string | undefined, invalid: boolean) =>
            html`<input id="admin-token" type="password" autocomplete="current-password" required value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} aria-describedby=${describedBy} aria-invalid=${invalid} />`}
        <//>
        <button type="submit">Open the console</button>
      </form>
    </section>
  </main>`
}

/** The mock's clock, and the buttons that move it. */
function Clock(props: { clock: ClockView | null; onChanged: () => void }): VNode {
  const [set, setSet] = useState('')
  const [errors, setErrors] = useState<FieldErrors>({})
  const post = async (body: object): Promise<void> => {
    try {
      await admin('clock', { method: 'POST', body })
      setErrors({})
      props.onChanged()
    } catch (error) {
      setErrors(fieldErrors(error, ['set', 'advance']))
    }
  }
  const { clock } = props
  return html`<section class="clock" aria-labelledby="clock-title">
    <h2 id="clock-title" class="visually-hidden">Clock</h2>
    <p class="now"><span class="label">Mock time</span> <time class="mono" aria-live="off" datetime=${clock?.now}>${clock ? formatTime(clock.now) : '…'}</time>
      <span class=${`mode mode-${clock?.mode ?? 'system'}`}>${clock?.mode === 'manual' ? 'frozen' : 'running'}</span></p>
    <div class="buttons" role="group" aria-label="Move the clock">
      ${[['1m', '+1 min'], ['1h', '+1 h'], ['1d', '+1 day'], ['7d', '+7 days']].map(
        ([advance, label]) => html`<button type="button" onClick=${() => post({ advance })} aria-label=${`Advance the clock ${label?.slice(1)}`}>${label}</button>`
      )}
      ${clock?.mode === 'manual'
        ? html`<button type="button" class="secondary" onClick=${() => post({ mode: 'system' })}>Resume</button>`
        : html`<button type="button" class="secondary" onClick=${() => post({ mode: 'manual' })}>Freeze</button>`}
    </div>
    <form class="inline set" noValidate onSubmit=${(e: Event) => { e.preventDefault(); void post({ set }) }}>
      <${Field} id="clock-set" label="Set to" errors=${errors.set} hint="ISO-8601, e.g. 2026-01-31T10:00:00Z">
        ${(describedBy: string | undefined, invalid: boolean) => html`<input id="clock-set" class="mono" value=${set} onInput=${(e: Event) => setSet((e.target as HTMLInputElement).value)} aria-describedby=${describedBy} aria-invalid=${invalid} />`}
      <//>
      <button type="submit">Set</button>
    </form>
    <${FormErrors} errors=${errors} />
  </section>`
}

/** Which org's namespace the console acts in (§15), or globally; kept for the tab. */
function Namespace(props: { orgs: string[]; onChanged: () => void }): VNode {
  const [value, setValue] = useState(savedNamespace() ?? '')
  const submit = (e: Event): void => {
    e.preventDefault()
    saveNamespace(value.trim())
    props.onChanged()
  }
  const current = savedNamespace()
  return html`<form class="inline namespace" onSubmit=${submit}>
    <label for="namespace">Org namespace</label>
    <input id="namespace" class="mono" list="namespace-orgs" placeholder="global" value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} aria-describedby="namespace-now" />
    <datalist id="namespace-orgs">${props.orgs.map((org) => html`<option value=${org}></option>`)}</datalist>
    <button type="submit" class="secondary">Act there</button>
    <span id="namespace-now" class="namespace-now">${current === null ? 'Acting globally' : `Acting as org ${current}`}</span>
  </form>`
}

function App(): VNode {
  const [view, setView] = useState<View>(() => (VIEWS.some(([v]) => `#${v}` === location.hash) ? (location.hash.slice(1) as View) : 'tasks'))
  const [live, setLive] = useState<Live>(NOTHING)
  const [filters, setFilters] = useState<TaskFilters>({ orgId: '', kind: '', status: '' })
  const [selectedId, setSelectedId] = useState<string | null>(null)
  const [locked, setLocked] = useState<'no' | 'asked' | 'rejected'>('no')
  const [problem, setProblem] = useState('')
  const [version, setVersion] = useState(0)
  const orgs = useRef(new Set<string>())
  const refresh = useCallback(() => setVersion((v) => v + 1), [])

  // The live loop: one read of the open view at a time, at most once a second.
  useEffect(() => {
    if (locked !== 'no') return
    let stopped = false
    let busy = false
    const tick = async (): Promise<void> => {
      if (busy) return
      busy = true
      try {
        const data = await read(view, filters, selectedId)
        if (stopped) return
        for (const task of data.tasks ?? []) orgs.current.add(task.orgId)
        setLive((old) => ({ ...old, ...data }))
        setProblem('')
      } catch (error) {
        if (stopped) return
        if (error instanceof Unauthorized) setLocked(savedToken() === null ? 'asked' : 'rejected')
        else setProblem(error instanceof Error ? error.message : String(error))
      } finally {
        busy = false
      }
    }
    void tick()
    const timer = setInterval(tick, LIVE_MS)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [view, filters, selectedId, locked, version])

  const go = (next: View) => {
    setView(next)
    history.replaceState(null, '', `#${next}`)
  }
  const reset = async (): Promise<void> => {
    await admin('reset', { method: 'POST' })
    setSelectedId(null)
    refresh()
  }

  if (locked !== 'no') return html`<${TokenPrompt} rejected=${locked === 'rejected'} onToken=${() => setLocked('no')} />`

  return html`<div class="app">
    <a class="skip" href="#main">Skip to the content</a>
    <header class="top">
      <h1>enriched-tasks-mock <span>console</span></h1>
      <${Clock} clock=${live.clock} onChanged=${refresh} />
      <${Namespace} orgs=${[...orgs.current].sort()} onChanged=${() => { setSelectedId(null); setFilters({ orgId: '', kind: '', status: '' }); refresh() }} />
      <button type="button" class="danger reset" onClick=${reset}>${savedNamespace() === null ? 'Reset the mock' : "Reset this org"}</button>
    </header>
    <nav aria-label="Views">
      <ul>${VIEWS.map(([id, label]) => html`<li><a href=${`#${id}`} aria-current=${view === id ? 'page' : undefined} onClick=${(e: Event) => { e.preventDefault(); go(id) }}>${label}</a></li>`)}</ul>
    </nav>
    ${problem ? html`<p class="error banner" role="alert">The control API did not answer: ${problem}</p>` : null}
    <main id="main" tabindex="-1">
      ${view === 'tasks'
        ? html`<div class="columns">
            <div class="stack">
              <${TaskList} tasks=${live.tasks} more=${live.more} clock=${live.clock} orgs=${[...orgs.current].sort()} filters=${filters} onFilters=${setFilters} selectedId=${selectedId} onSelect=${setSelectedId} />
              <${CreateTask} onCreated=${(task: TaskView) => { setSelectedId(task.id); refresh() }} />
            </div>
            <div class="stack">
              ${selectedId ? html`<${TaskDetail} key=${selectedId} selected=${live.selected} clock=${live.clock} onChanged=${refresh} onClose=${() => { setSelectedId(null); setLive((old) => ({ ...old, selected: null })) }} />` : html`<section class="panel hint-panel"><p>Choose a task to see its timeline, jobs, result and pages, and to move, download or delete it.</p></section>`}
            </div>
          </div>`
        : view === 'journal'
          ? html`<${Journal} requests=${live.requests} onChanged=${refresh} />`
          : view === 'faults'
            ? html`<${Faults} faults=${live.faults} routes=${(live.operations ?? []).map((op) => op.name)} onChanged=${refresh} />`
            : view === 'operations'
              ? html`<${Operations} operations=${live.operations} onChanged=${refresh} />`
              : html`<${ReportView} report=${live.report} />`}
    </main>
  </div>`
}

const root = document.getElementById('app') as HTMLElement
// The "Loading" line of index.html goes; Preact renders into the emptied container.
root.replaceChildren()
render(html`<${App} />`, root)
