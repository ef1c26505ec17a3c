/**
 * The console's other views: the request journal, faults, operations and the client report.
 */
import { html } from 'htm/preact'
import type { VNode } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { admin, ApiError, request, type Fault, type JournalEntry, type OperationView, type Report } from './api.js'
import { Field, fieldErrors, FormErrors, formatTime, JsonBlock, JsonFieldError, Panel, parseJsonField, type FieldErrors } from './ui.js'

/** The journal, newest first; each request's (redacted) headers open on click. */
export function Journal(props: { requests: JournalEntry[] | null; onChanged: () => void }): VNode {
  const clear = async (): Promise<void> => {
    await admin('requests', { method: 'DELETE' })
    props.onChanged()
  }
  const requests = [...(props.requests ?? [])].reverse()
  return html`<${Panel} id="journal" title="Request journal" actions=${html`<button type="button" class="secondary" onClick=${clear}>Clear journal</button>`}>
    <p class="hint">Task-route, operation and login requests as the server saw them, newest first; secrets are redacted by the server.</p>
    ${props.requests === null ? html`<p>Loading…</p>` : requests.length === 0 ? html`<p>No requests yet.</p>` : null}
    <ul class="journal">
      ${requests.map(
        (entry) => html`<li key=${entry.id}><details>
          <summary>
            <span class="mono method">${entry.method}</span>
            <span class="mono url">${entry.url}</span>
            <span class=${`code code-${String(entry.status)[0]}`}>${entry.status === 0 ? 'cut' : entry.status}</span>
            <span class="time">${formatTime(entry.at)}</span>
            <span class="duration">${entry.durationMs} ms</span>
          </summary>
          <dl class="headers">
            <dt>X-CALL-ID</dt><dd class="mono">${entry.id}</dd>
            ${Object.entries(entry.headers).map(([name, value]) => html`<dt>${name}</dt><dd class="mono">${value}</dd>`)}
          </dl>
        </details></li>`
      )}
    </ul>
  <//>`
}

const FAULT_FIELDS = ['route', 'taskId', 'times', 'delayMs', 'respond', 'drop'] as const

/** The faults: a form to add one, the list, and clear. */
export function Faults(props: { faults: Fault[] | null; routes: string[]; onChanged: () => void }): VNode {
  const [values, setValues] = useState({ route: 'status', taskId: '', times: '', delayMs: '', status: '', retryAfter: '', drop: '' })
  const [errors, setErrors] = useState<FieldErrors>({})
  const set = (field: keyof typeof values) => (e: Event) => setValues({ ...values, [field]: (e.target as HTMLInputElement).value })
  const number = (text: string): number | string => (/^\d+$/.test(text.trim()) ? Number(text) : text)
  const add = async (e: Event): Promise<void> => {
    e.preventDefault()
    const spec: Record<string, unknown> = { route: values.route }
    if (values.taskId.trim()) spec.taskId = values.taskId.trim()
    if (values.times.trim()) spec.times = number(values.times)
    if (values.delayMs.trim()) spec.delayMs = number(values.delayMs)
    if (values.status) spec.respond = values.retryAfter.trim() ? { status: Number(values.status), retryAfter: number(values.retryAfter) } : { status: Number(values.status) }
    if (values.drop) spec.drop = values.drop
    try {
      await admin('faults', { method: 'POST', body: spec })
      setErrors({})
      props.onChanged()
    } catch (error) {
      setErrors(fieldErrors(error, FAULT_FIELDS))
    }
  }
  const clear = async (): Promise<void> => {
    await admin('faults', { method: 'DELETE' })
    props.onChanged()
  }
  const input = (field: 'taskId' | 'times' | 'delayMs' | 'retryAfter', label: string, hint: string, errorField: string = field) => html`<${Field} id=${`fault-${field}`} label=${label} hint=${hint} errors=${errors[errorField]}>
      ${(describedBy: string | undefined, invalid: boolean) => html`<input id=${`fault-${field}`} value=${values[field]} onInput=${set(field)} aria-describedby=${describedBy} aria-invalid=${invalid} />`}
    <//>`
  const select = (field: 'route' | 'status' | 'drop', label: string, options: Array<[string, string]>, errorField: string = field) => html`<${Field} id=${`fault-${field}`} label=${label} errors=${errors[errorField]}>
      ${(describedBy: string | undefined, invalid: boolean) => html`<select id=${`fault-${field}`} value=${values[field]} onChange=${set(field)} aria-describedby=${describedBy} aria-invalid=${invalid}>
        ${options.map(([value, text]) => html`<option value=${value}>${text}</option>`)}
      </select>`}
    <//>`
  return html`<div class="stack">
    <${Panel} id="add-fault" title="Add a fault">
      <form class="form" noValidate onSubmit=${add}>
        <div class="grid">
          ${select('route', 'Route', ['status', 'download', 'result', 'page', '*', ...props.routes].map((route) => [route, route]))}
          ${input('taskId', 'Task id', 'Only this task; blank: any')}
          ${input('times', 'Times', 'Requests it applies to; default 1')}
          ${input('delayMs', 'Delay (ms)', 'Wait before answering')}
          ${select('status', 'Answer with', [['', 'no error'], ['429', '429'], ['500', '500'], ['502', '502'], ['503', '503']], 'respond')}
          ${input('retryAfter', 'Retry-After (s)', 'With an error answer', 'respond')}
          ${select('drop', 'Cut the connection', [['', 'no'], ['before-response', 'before the answer'], ['mid-download', 'mid-download']])}
        </div>
        <${FormErrors} errors=${errors} />
        <button type="submit">Add fault</button>
      </form>
    <//>
    <${Panel} id="faults" title="Faults" actions=${html`<button type="button" class="secondary" onClick=${clear}>Clear faults</button>`}>
      ${props.faults === null ? html`<p>Loading…</p>` : props.faults.length === 0 ? html`<p>No faults.</p>` : html`<div class="table-wrap"><table class="faults">
        <caption class="visually-hidden">Faults waiting to apply</caption>
        <thead><tr><th scope="col">Id</th><th scope="col">Route</th><th scope="col">Task</th><th scope="col">Does</th><th scope="col">Left</th></tr></thead>
        <tbody>${props.faults.map((fault) => html`<tr key=${fault.id} data-fault=${fault.id}>
          <td class="mono">${fault.id}</td><td>${fault.route}</td><td class="mono">${fault.taskId ?? 'any'}</td>
          <td>${describeFault(fault)}</td><td>${fault.times ?? (fault.every ? `every ${String(fault.every)}` : '—')}</td>
        </tr>`)}</tbody>
      </table></div>`}
    <//>
  </div>`
}

/** What a fault does, in a few words. */
function describeFault(fault: Fault): string {
  const parts: string[] = []
  if (fault.delayMs) parts.push(`waits ${fault.delayMs} ms`)
  if (fault.respond) parts.push(`answers ${fault.respond.status}${fault.respond.retryAfter === undefined ? '' : `, Retry-After ${fault.respond.retryAfter}`}`)
  if (fault.drop) parts.push(`cuts ${fault.drop}`)
  return parts.join(', ') || 'nothing'
}

/** The published OpenAPI document, read once for the sample bodies of the operations. */
let documentRead: Promise<unknown> | undefined
function openApiDocument(): Promise<unknown> {
  documentRead ??= request('openapi.json', { admin: false }).then((response) => response.json() as Promise<unknown>, () => null)
  return documentRead
}

interface Parameter {
  name?: string
  in?: string
  required?: boolean
  example?: unknown
}

/**
 * An operation's route with its parameters filled in (the values the server allows, else the
 * document's examples), and a sample body: the first example of the OpenAPI document's request.
 */
async function sampleOf(operation: OperationView): Promise<{ path: string; body: string }> {
  const route = operation.routes[0] as OperationView['routes'][number]
  const document = await openApiDocument()
  // A local `$ref` stands for what it points at.
  const resolve = (node: unknown): unknown => {
    const ref = (node as { $ref?: unknown } | null | undefined)?.$ref
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return node
    return resolve(ref.slice(2).split('/').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], document))
  }
  const get = (node: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((at, key) => (resolve(at) as Record<string, unknown> | undefined)?.[key], node)
  const shape = (path: string): string => path.replace(/\{[^}]+\}/g, '{}')
  const paths = (get(document, 'paths') ?? {}) as Record<string, unknown>
  const item = Object.entries(paths).find(([template]) => shape(template) === shape(route.path))?.[1]
  const described = get(item, operation.method.toLowerCase())
  const parameters = [...((get(item, 'parameters') ?? []) as unknown[]), ...((get(described, 'parameters') ?? []) as unknown[])].map((p) => resolve(p) as Parameter)
  const camel = (name: string): string => name.replace(/-([a-z])/g, (_all, c: string) => c.toUpperCase())
  const example = (name: string): string => String(parameters.find((p) => p.name !== undefined && camel(p.name) === name)?.example ?? '1')
  let path = route.path.replace(/\{([^}]+)\}/g, (_all, name: string) => route.params[name]?.[0] ?? example(name))
  const query = parameters.filter((p) => p.in === 'query' && p.required).map((p) => `${encodeURIComponent(p.name ?? '')}=${encodeURIComponent(String(p.example ?? ''))}`)
  if (query.length > 0) path += `?${query.join('&')}`
  const examples = (get(described, 'requestBody', 'content', 'application/json', 'examples') ?? {}) as Record<string, unknown>
  const first = Object.values(examples)[0]
  return { path, body: operation.method === 'GET' ? '' : JSON.stringify(get(first, 'value') ?? {}, null, 2) }
}

/** The operations: their defaults and `next` queues, and a form that calls one with a sample body. */
export function Operations(props: { operations: OperationView[] | null; onChanged: () => void }): VNode {
  const operations = props.operations ?? []
  const [name, setName] = useState('')
  const operation = operations.find((op) => op.name === name) ?? operations[0]
  return html`<div class="stack">
    <${Panel} id="operations" title="Operations">
      <p class="hint">Each operation creates a task; its defaults apply to every task it creates, and each entry of its next queue to one.</p>
      ${props.operations === null ? html`<p>Loading…</p>` : html`<div class="table-wrap"><table>
        <caption class="visually-hidden">Operations that create tasks</caption>
        <thead><tr><th scope="col">Operation</th><th scope="col">Route</th><th scope="col">Defaults</th><th scope="col">Next queue</th></tr></thead>
        <tbody>${operations.map((op) => {
          const { name: opName, builtIn: _builtIn, method, routes, description, next, ...defaults } = op
          return html`<tr key=${opName}>
            <td><strong>${opName}</strong><br /><small>${description}</small></td>
            <td class="mono">${method} ${routes.map((route) => route.path).join(' ')}</td>
            <td><code>${JSON.stringify(defaults)}</code></td>
            <td>${next.length === 0 ? 'empty' : html`<code>${JSON.stringify(next)}</code>`}</td>
          </tr>`
        })}</tbody>
      </table></div>`}
    <//>
    ${operation ? html`<${OperationForms} key=${operation.name} operation=${operation} operations=${operations} onPick=${setName} onChanged=${props.onChanged} />` : null}
  </div>`
}

/** Submit a sample call, queue a `next` override, or change the defaults of one operation. */
function OperationForms(props: { operation: OperationView; operations: OperationView[]; onPick: (name: string) => void; onChanged: () => void }): VNode {
  const { operation } = props
  const [path, setPath] = useState('')
  const [body, setBody] = useState('')
  const [orgId, setOrgId] = useState('00000000-0000-4000-8000-000000000001')
  const [userToken, setUserToken] = useState('')
  const [answer, setAnswer] = useState<{ status: number; body: unknown } | null>(null)
  const [override, setOverride] = useState('{"outcome":"failed"}')
  const { name: _name, builtIn: _builtIn, method: _method, routes: _routes, description: _description, next: _next, ...current } = operation
  const [defaults, setDefaults] = useState(JSON.stringify(current))
  const [errors, setErrors] = useState<FieldErrors>({})
  useEffect(() => {
    void sampleOf(operation).then((sample) => {
      setPath(sample.path)
      setBody(sample.body)
    })
  }, [operation.name])

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    try {
      const parsed = parseJsonField('body', body)
      const headers: Record<string, string> = { accept: 'application/json', 'x-flynn-n-org-id': orgId }
      if (userToken) headers['x-flynn-n-user-token'] = userToken
      let status: number
      let text: string
      try {
        const response = await request(path.replace(/^\//, ''), { method: operation.method, headers, body: operation.method === 'GET' ? undefined : parsed ?? {}, admin: false })
        status = response.status
        text = await response.text()
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
        status = error.status
        text = JSON.stringify(error.body)
      }
      setAnswer({ status, body: JSON.parse(text || 'null') })
      setErrors({})
      props.onChanged()
    } catch (error) {
      setErrors(error instanceof JsonFieldError ? { body: [error.message] } : fieldErrors(error, []))
    }
  }
  const queue = async (e: Event): Promise<void> => {
    e.preventDefault()
    try {
      await admin(`operations/${encodeURIComponent(operation.name)}/next`, { method: 'POST', body: parseJsonField('override', override) ?? {} })
      setErrors({})
      props.onChanged()
    } catch (error) {
      setErrors(error instanceof JsonFieldError ? { override: [error.message] } : { override: Object.values(fieldErrors(error, [])).flat() })
    }
  }
  const configure = async (e: Event): Promise<void> => {
    e.preventDefault()
    try {
      await admin(`operations/${encodeURIComponent(operation.name)}`, { method: 'PUT', body: parseJsonField('defaults', defaults) ?? {} })
      setErrors({})
      props.onChanged()
    } catch (error) {
      setErrors(error instanceof JsonFieldError ? { defaults: [error.message] } : { defaults: Object.values(fieldErrors(error, [])).flat() })
    }
  }
  return html`<${Panel} id="call" title="Call an operation">
    <div class="field">
      <label for="operation-name">Operation</label>
      <select id="operation-name" value=${operation.name} onChange=${(e: Event) => props.onPick((e.target as HTMLSelectElement).value)}>
        ${props.operations.map((op) => html`<option value=${op.name}>${op.name}</option>`)}
      </select>
    </div>
    <form class="form" noValidate onSubmit=${submit}>
      <h3>Submit a sample request</h3>
      <div class="grid">
        <div class="field"><label for="call-path">${operation.method} path</label><input id="call-path" class="mono" value=${path} onInput=${(e: Event) => setPath((e.target as HTMLInputElement).value)} /></div>
        <div class="field"><label for="call-org">X-FLYNN-N-ORG-ID</label><input id="call-org" class="mono" value=${orgId} onInput=${(e: Event) => setOrgId((e.target as HTMLInputElement).value)} /></div>
        <${Field} id="call-token" label="X-FLYNN-N-USER-TOKEN" hint="The org's token (the demo org's is in fixtures/credentials.json); kept in this form only">
          ${(describedBy: string | undefined) => html`<input id="call-token" type="password" autocomplete="off" value=${userToken} onInput=${(e: Event) => setUserToken((e.target as HTMLInputElement).value)} aria-describedby=${describedBy} />`}
        <//>
      </div>
      ${operation.method === 'POST'
        ? html`<${Field} id="call-body" label="Body (JSON)" hint="A sample from the OpenAPI document's examples" errors=${errors.body}>
            ${(describedBy: string | undefined, invalid: boolean) => html`<textarea id="call-body" rows="8" spellcheck="false" value=${body} onInput=${(e: Event) => setBody((e.target as HTMLTextAreaElement).value)} aria-describedby=${describedBy} aria-invalid=${invalid}></textarea>`}
          <//>`
        : null}
      <${FormErrors} errors=${errors} />
      <button type="submit">Send</button>
      ${answer ? html`<p role="status">Answered <strong>${answer.status}</strong></p><${JsonBlock} value=${answer.body} label="The operation's answer" />` : null}
    </form>
    <form class="form" noValidate onSubmit=${queue}>
      <h3>Queue an override for its next task</h3>
      <${Field} id="override" label="Override (JSON)" hint='For example {"outcome":"failed"} or {"timeline":[{"status":"processing","polls":3}]}' errors=${errors.override}>
        ${(describedBy: string | undefined, invalid: boolean) => html`<textarea id="override" rows="2" spellcheck="false" value=${override} onInput=${(e: Event) => setOverride((e.target as HTMLTextAreaElement).value)} aria-describedby=${describedBy} aria-invalid=${invalid}></textarea>`}
      <//>
      <button type="submit">Queue override</button>
    </form>
    <form class="form" noValidate onSubmit=${configure}>
      <h3>Change its defaults</h3>
      <${Field} id="defaults" label="Defaults (JSON)" hint="Apply to every task it creates from now on" errors=${errors.defaults}>
        ${(describedBy: string | undefined, invalid: boolean) => html`<textarea id="defaults" rows="2" spellcheck="false" value=${defaults} onInput=${(e: Event) => setDefaults((e.target as HTMLTextAreaElement).value)} aria-describedby=${describedBy} aria-invalid=${invalid}></textarea>`}
      <//>
      <button type="submit">Save defaults</button>
    </form>
  <//>`
}

/** The client report, once the server has it (`GET /__admin/report`; 404: not available). */
export function ReportView(props: { report: Report | 'unavailable' | null }): VNode {
  const { report } = props
  return html`<${Panel} id="report" title="Client report">
    ${report === null
      ? html`<p>Loading…</p>`
      : report === 'unavailable'
        ? html`<p class="note" role="status">The client report is not available on this server: <code>GET /__admin/report</code> answers 404.</p>`
        : html`<p>${report.summary.tasks} task${report.summary.tasks === 1 ? '' : 's'} judged, ${report.summary.clean} clean.
            ${Object.entries(report.summary.findings).map(([rule, n]) => html` <span class="finding">${rule}: ${n}</span>`)}</p>
          <div class="table-wrap"><table>
            <caption class="visually-hidden">How the clients behaved, per task</caption>
            <thead><tr><th scope="col">Task</th><th scope="col">Kind</th><th scope="col">Org</th><th scope="col">Requests</th><th scope="col">Findings</th></tr></thead>
            <tbody>${report.tasks.map((task) => html`<tr key=${task.id}>
              <td class="mono">${task.id}</td><td>${task.kind}</td><td class="mono">${task.orgId}</td><td>${task.requests}</td>
              <td>${task.findings.length === 0 ? 'clean' : html`<ul>${task.findings.map((f) => html`<li><strong>${f.rule}</strong> at ${formatTime(f.at)}: ${f.detail}</li>`)}</ul>`}</td>
            </tr>`)}</tbody>
          </table></div>`}
  <//>`
}

/** Reads the report: `'unavailable'` when the server has no such route. */
export async function readReport(): Promise<Report | 'unavailable'> {
  try {
    return await admin<Report>('report')
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return 'unavailable'
    throw error
  }
}
