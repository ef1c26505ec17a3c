/**
 * Real-socket helpers: a listening test app, and raw HTTP/1.1 requests for what fetch cannot
 * send (repeated headers, odd methods, over-long request lines).
 */
import { request } from 'node:http'
import { connect } from 'node:net'
import { checkResponse } from './contract.js'

/** A raw response: status, headers (lower-case names, repeated ones joined) and body text. */
export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
  raw: string
}

/**
 * Sends `head` (request line and headers, CRLF-separated, without the blank line) plus `body`
 * with `Connection: close`, and reads the whole answer.
 */
export function rawRequest(port: number, head: string, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('end', () => {
      const raw = Buffer.concat(chunks).toString('latin1')
      const split = raw.indexOf('\r\n\r\n')
      const lines = raw.slice(0, split).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon).toLowerCase()
        const value = line.slice(colon + 1).trim()
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
      }
      let text = raw.slice(split + 4)
      if (headers['transfer-encoding'] === 'chunked') text = dechunk(text)
      const [method, url] = head.split(' ') as [string, string]
      const status = Number(lines[0]?.split(' ')[1])
      checkResponse({ method, url, status, headers, body: Buffer.from(text, 'latin1') })
      resolve({ status, headers, body: text, raw })
    })
    socket.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n${body}`)
  })
}

function dechunk(text: string): string {
  let out = ''
  let rest = text
  for (;;) {
    const eol = rest.indexOf('\r\n')
    const size = parseInt(rest.slice(0, eol), 16)
    if (!size) return out
    out += rest.slice(eol + 2, eol + 2 + size)
    rest = rest.slice(eol + 2 + size + 2)
  }
}

/**
 * Sends raw bytes and resolves with everything the server sent back before closing. For requests
 * Node's parser refuses, whose answers never reach the app (and so are not contract-checked).
 */
export function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
    socket.on('error', reject)
    socket.on('close', () => resolve(received))
    socket.write(bytes)
  })
}

/** What a client saw of a GET over a real socket: the status (none when cut before any answer), the body bytes, and whether it came whole. */
export interface SocketAnswer {
  status?: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  complete: boolean
}

/** GETs `url` over a real socket (node:http, so that a body cut part-way is seen as such, not thrown). */
export function getOverSocket(port: number, url: string, headers: Record<string, string>): Promise<SocketAnswer> {
  return new Promise((resolve) => {
    const req = request({ port, host: '127.0.0.1', path: url, headers }, (res) => {
      const chunks: Buffer[] = []
      const done = (complete: boolean) => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), complete })
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => done(res.complete))
      res.on('error', () => done(false))
      res.on('aborted', () => done(false))
    })
    req.on('error', () => resolve({ headers: {}, body: Buffer.alloc(0), complete: false }))
    req.end()
  })
}
