/**
 * Users, login sessions and their tokens (docs/behaviour.md §4): the upstream's auth API
 * (`/theodore/apis/v1/authtokens`, `/logout`) on the mock's clock. Users come from
 * `fixtures/users.json` and `POST /__admin/users`; passwords are kept only as scrypt hashes
 * (node:crypto), never logged or shown. A session's token is registered in the credential
 * registry for every org of its user, so strict auth (§2 rule 2) reads it like any other token,
 * and expires by the mock's clock.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import type { Clock, Clocks } from './clock.js'
import type { Credentials } from './credentials.js'
import { ContractError, MockError } from './errors.js'
import { validator } from './validation.js'

/** `email` or `mobile`: what the handle is (upstream's `handleType`). */
export type HandleType = 'email' | 'mobile'

/** A user as `POST /__admin/users` and `fixtures/users.json` give it. */
export interface UserSpec {
  handle: string
  handleType: HandleType
  password: string
  /** The orgs the user belongs to; the first is the primary one. */
  orgIds: string[]
  givenName?: string
  lastName?: string
  /** The other handle, shown in the login answer. */
  email?: string
  mobile?: string
  /** A fixed one-time password that logs in instead of the password (absent: passwords only). */
  otp?: string
  /** A fixed user id (default: a UUID derived from the handle, stable across restarts). */
  userId?: string
}

/** A user as the control API shows it (no password, no OTP). */
export interface UserView {
  userId: string
  handle: string
  handleType: HandleType
  orgIds: string[]
  givenName: string | null
  lastName: string | null
  email: string | null
  mobile: string | null
  /** Live sessions (tokens not expired by the mock's clock). */
  sessions: number
}

/** The JSON Schema of a user spec. */
export const userSpecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['handle', 'handleType', 'password', 'orgIds'],
  properties: {
    handle: { type: 'string', minLength: 1, maxLength: 320 },
    handleType: { enum: ['email', 'mobile'] },
    password: { type: 'string', minLength: 1, maxLength: 1000 },
    orgIds: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 200 } },
    givenName: { type: 'string', maxLength: 200 },
    lastName: { type: 'string', maxLength: 200 },
    email: { type: 'string', maxLength: 320 },
    mobile: { type: 'string', maxLength: 20 },
    otp: { type: 'string', minLength: 1, maxLength: 20 },
    userId: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' }
  }
} as const

/** Checks a user spec. @throws {InvalidSpecError} listing what is wrong */
export const validateUser = validator<UserSpec>(userSpecSchema)

/** Default token lifetime and its cap, in minutes (upstream: 20, at most 360). */
export const DEFAULT_TOKEN_MINUTES = 20
export const MAX_TOKEN_MINUTES = 360
/** Live sessions one user may hold (upstream: 10). */
export const MAX_SESSIONS = 10

/** How long an expired session is kept, so its token answers `err-expired-token` (ms). */
const EXPIRED_KEPT_MS = 86_400_000

/** scrypt's cost for the mock's demo passwords: a real KDF, cheap enough to hash at every reset. */
const SCRYPT = { N: 4096, r: 8, p: 1 } as const
const KEY_BYTES = 32

function hash(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // scrypt fails only for bad cost parameters, and these are fixed.
    /* c8 ignore next */
    scrypt(password, salt, KEY_BYTES, SCRYPT, (error, derived) => (error ? reject(error) : resolve(derived)))
  })
}

/** Thrown by {@link Users.add} when the handle is taken (§12, `409 err-user-exists`). */
export class UserExistsError extends MockError {
  constructor(readonly handle: string) {
    super('ERR_USER_EXISTS', `a user with handle ${handle} exists`)
  }
}

/** A user as held: the spec without its password, and the password's scrypt hash. */
export interface User {
  /** The spec, its password removed (only the hash is kept). */
  spec: Omit<UserSpec, 'password'>
  userId: string
  /** When the user was made (epoch ms): `createdOn`, `lastUpdated`, `passwordLastModified`. */
  createdAt: number
  salt: Buffer
  /** The password's scrypt hash, made in the thread pool (never blocks the event loop). */
  passwordHash: Buffer
  /** The user's sessions (live, or expired and not yet swept), by token. */
  sessions: Map<string, Session>
}

/** {@link Users} as plain JSON (a shared store keeps them, §16): hashes and salts in hex. */
export interface UsersState {
  users: Array<{ spec: Omit<UserSpec, 'password'>; userId: string; createdAt: number; salt: string; passwordHash: string; sessions: Array<[string, number]> }>
}

/**
 * Makes a user from a spec at `now` (epoch ms): hashes its password in the thread pool. The
 * user is not added anywhere: see {@link Users.insert}.
 */
export async function makeUser(spec: UserSpec, now: number): Promise<User> {
  const { password, ...rest } = spec
  const salt = randomBytes(16)
  return { spec: rest, userId: userIdOf(spec), createdAt: now, salt, passwordHash: await hash(password, salt), sessions: new Map() }
}

/** Compared against when the handle is unknown, so a wrong handle costs what a wrong password does. */
let decoy: Promise<User> | undefined
const decoyUser = (): Promise<User> => (decoy ??= makeUser({ handle: 'decoy', handleType: 'email', password: randomBytes(16).toString('hex'), orgIds: ['decoy'] }, 0))

/** A checked login whose credentials matched: the user (by key) and the token lifetime asked. */
export interface VerifiedLogin {
  userKey: string
  minutes: number
}

interface Session {
  user: User
  /** Epoch ms. */
  expiresAt: number
}

/** What a login or a refresh answers in `data` (§4, the upstream's field names). */
export interface LoginData {
  token: string
  userId: string
  /** Epoch ms. */
  expiry: number
  email: string | null
  mobile: string | null
  givenName: string | null
  lastName: string | null
  state: 'ACTIVE'
  verificationStatus: 'VERIFIED'
  passwordLastModified: number
  timezone: 'Asia/Kolkata'
  locale: 'en_IN'
  createdOn: number
  lastUpdated: number
  associatedOrgs: Array<{
    organisation: {
      id: string
      name: string
      taxIdentifier: string
      taxIdentifierType: 'PAN'
      country: 'IN'
      services: Array<{ serviceCode: string; serviceName: string }>
    }
    userAccessInfo: { primary: boolean; admin: boolean }
  }>
}

/** The services every org shows in the login answer. */
const SERVICES = [
  { serviceCode: 'EINV', serviceName: 'E-Invoicing' },
  { serviceCode: 'EWB', serviceName: 'E-Way Bill' },
  { serviceCode: 'GST', serviceName: 'GST Returns' }
]

const key = (handleType: HandleType, handle: string): string => `${handleType}:${handleType === 'email' ? handle.toLowerCase() : handle}`

/** A UUID (v4 layout) derived from the handle, so a fixture user keeps its id across restarts. */
function derivedUserId(spec: Pick<UserSpec, 'handle' | 'handleType'>): string {
  const hex = createHash('sha256').update(key(spec.handleType, spec.handle)).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** A user's id: the one its spec gives (lower case), else derived from its handle. */
const userIdOf = (spec: Pick<UserSpec, 'userId' | 'handle' | 'handleType'>): string => (spec.userId ?? derivedUserId(spec)).toLowerCase()

/** What a login asks for, checked (§4 body). */
interface LoginRequest {
  handle: string
  handleType: HandleType
  password?: string
  otp?: string
  minutes: number
}

/** A `400 err-issue-with-parameter` naming the field (§4). */
const badParameter = (name: string): ContractError => new ContractError('err-issue-with-parameter', { 'parameter-name': name })

/**
 * The token lifetime a body asks for, in minutes: absent 20, above 360 capped at 360 (§4).
 * @throws {ContractError} `err-issue-with-parameter` when it is not an integer >= 1
 */
export function tokenMinutes(body: Record<string, unknown>): number {
  const asked = body.tokenDurationInMins
  if (asked === undefined) return DEFAULT_TOKEN_MINUTES
  if (typeof asked !== 'number' || !Number.isInteger(asked) || asked < 1) throw badParameter('tokenDurationInMins')
  return Math.min(asked, MAX_TOKEN_MINUTES)
}

/**
 * Checks a login body, field by field in the order of §4.
 * @throws {ContractError} `err-issue-with-parameter` naming the first missing or malformed field
 */
function checkLogin(body: unknown): LoginRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badParameter('body')
  const fields = body as Record<string, unknown>
  const text = (name: string, max: number): string | undefined => {
    const value = fields[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || value === '' || value.length > max) throw badParameter(name)
    return value
  }
  const handle = text('handle', 320)
  if (handle === undefined) throw badParameter('handle')
  const handleType = fields.handleType
  if (handleType !== 'email' && handleType !== 'mobile') throw badParameter('handleType')
  const password = text('password', 1000)
  const otp = text('otp', 20)
  if (password === undefined && otp === undefined) throw badParameter('password')
  return { handle, handleType, password, otp, minutes: tokenMinutes(fields) }
}

/** Users, their sessions, and the tokens they put in the credential registry. */
export class Users {
  readonly #users = new Map<string, User>()
  readonly #sessions = new Map<string, Session>()

  /** @param clocks the global clock (sessions) and the orgs' own (their tokens' expiry, §15) */
  constructor(
    readonly credentials: Credentials,
    readonly clocks: Clocks
  ) {}

  /** The global clock, which a session's own expiry follows. */
  get clock(): Clock {
    return this.clocks.global
  }

  /**
   * Adds a user {@link makeUser} made.
   * @throws {UserExistsError} when a user has the same handle (emails compared in any case) or user id
   */
  insert(user: User): UserView {
    const id = key(user.spec.handleType, user.spec.handle)
    if (this.#users.has(id) || [...this.#users.values()].some((other) => other.userId === user.userId)) throw new UserExistsError(user.spec.handle)
    this.#users.set(id, { ...user, sessions: new Map() })
    return this.#view(this.#users.get(id) as User)
  }

  /** Every user, in the order added. */
  list(): UserView[] {
    return [...this.#users.values()].map((user) => this.#view(user))
  }

  /** Removes a user and ends its sessions. @returns false when no user has this id */
  delete(userId: string): boolean {
    for (const [id, user] of this.#users) {
      if (user.userId !== userId) continue
      this.#users.delete(id)
      for (const [token, session] of user.sessions) this.#end(token, session)
      return true
    }
    return false
  }

  /** Forgets every user and session (the credential registry is cleared by its owner). */
  clear(): void {
    this.#users.clear()
    this.#sessions.clear()
  }

  /** The users and sessions as plain JSON (see {@link UsersState}). */
  snapshot(): UsersState {
    return {
      users: [...this.#users.values()].map((user) => ({
        spec: { ...user.spec },
        userId: user.userId,
        createdAt: user.createdAt,
        salt: user.salt.toString('hex'),
        passwordHash: user.passwordHash.toString('hex'),
        sessions: [...user.sessions].map(([token, session]) => [token, session.expiresAt])
      }))
    }
  }

  /** Replaces every user and session with a {@link snapshot} (the credentials hold their tokens already). */
  restore(state: UsersState): void {
    this.clear()
    for (const held of state.users) {
      const user: User = { ...held, spec: { ...held.spec }, salt: Buffer.from(held.salt, 'hex'), passwordHash: Buffer.from(held.passwordHash, 'hex'), sessions: new Map() }
      this.#users.set(key(user.spec.handleType, user.spec.handle), user)
      for (const [token, expiresAt] of held.sessions) {
        const session = { user, expiresAt }
        user.sessions.set(token, session)
        this.#sessions.set(token, session)
      }
    }
  }

  /**
   * Checks a login body and its password or OTP (§4 `POST /theodore/apis/v1/authtokens`),
   * without starting a session: see {@link startSession}.
   * @param body the parsed JSON body (anything)
   * @throws {ContractError} `400 err-issue-with-parameter`, `401 err-invalid-credentials` (unknown
   *   handle and wrong password alike)
   */
  async verify(body: unknown): Promise<VerifiedLogin> {
    const request = checkLogin(body)
    const userKey = key(request.handleType, request.handle)
    const user = this.#users.get(userKey)
    const candidate = user ?? (await decoyUser())
    let matches: boolean
    if (request.password !== undefined) {
      const sent = await hash(request.password, candidate.salt)
      matches = timingSafeEqual(sent, candidate.passwordHash)
    } else {
      const expected = candidate.spec.otp
      matches = expected !== undefined && expected.length === (request.otp as string).length && timingSafeEqual(Buffer.from(expected), Buffer.from(request.otp as string))
    }
    if (!user || !matches) throw new ContractError('err-invalid-credentials')
    return { userKey, minutes: request.minutes }
  }

  /**
   * Starts a session for a login {@link verify} accepted, under `token`.
   * @throws {ContractError} `401 err-invalid-credentials` when the user is gone since;
   *   {@link SessionLimitError} for an 11th live session
   */
  startSession(login: VerifiedLogin, token: string): LoginData {
    const user = this.#users.get(login.userKey)
    if (!user) throw new ContractError('err-invalid-credentials')
    const now = this.clock.now()
    if (liveSessions(user, now) >= MAX_SESSIONS) throw new SessionLimitError()
    const session: Session = { user, expiresAt: now + login.minutes * 60_000 }
    this.#sessions.set(token, session)
    user.sessions.set(token, session)
    this.#register(token, session)
    return this.#answer(token, session)
  }

  /**
   * Renews a session (§4 `PUT`): the same token, a new expiry from now.
   * @param bearer the `Authorization` header as received
   * @param readBody gives the parsed body (undefined when none); may throw its own 400
   * @throws {ContractError} `403 err-invalid-token` / `err-expired-token`; `400 err-issue-with-parameter`
   */
  refresh(bearer: string | undefined, readBody: () => unknown): LoginData {
    const [token, session] = this.#session(bearer)
    // The body is read only once the bearer is good: auth comes first, as on every route.
    const body = readBody()
    const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined
    if (body !== undefined && !fields) throw badParameter('body')
    session.expiresAt = this.clock.now() + tokenMinutes(fields ?? {}) * 60_000
    this.#register(token, session)
    return this.#answer(token, session)
  }

  /**
   * Ends a session (§4 `POST /logout`): its token is then `err-invalid-token` everywhere.
   * @throws {ContractError} `403 err-invalid-token` / `err-expired-token`
   */
  logout(bearer: string | undefined): void {
    const [token, session] = this.#session(bearer)
    this.#end(token, session)
  }

  /** The session of a bearer header, or the §4 403 that fits. */
  #session(bearer: string | undefined): [string, Session] {
    const token = /^bearer +(\S+)$/i.exec(bearer ?? '')?.[1]
    const session = token === undefined ? undefined : this.#sessions.get(token)
    if (!session) throw new ContractError('err-invalid-token')
    if (this.clock.now() >= session.expiresAt) throw new ContractError('err-expired-token')
    return [token as string, session]
  }

  /** Whether {@link sweep} would free a session now. */
  sweepable(): boolean {
    const before = this.clock.now() - EXPIRED_KEPT_MS
    for (const session of this.#sessions.values()) if (session.expiresAt <= before) return true
    return false
  }

  /**
   * Frees sessions expired for more than a day (their tokens then answer `err-invalid-token`
   * instead of `err-expired-token`). @returns how many were freed
   */
  sweep(): number {
    let freed = 0
    const before = this.clock.now() - EXPIRED_KEPT_MS
    for (const [token, session] of this.#sessions) {
      if (session.expiresAt <= before) {
        this.#end(token, session)
        freed++
      }
    }
    return freed
  }

  /**
   * Puts the session's token in the credential registry for each of its user's orgs. Each org
   * judges its expiry on its own clock (§15): the token lasts as long there, from that clock's now.
   */
  #register(token: string, session: Session): void {
    const lasts = session.expiresAt - this.clock.now()
    for (const orgId of session.user.spec.orgIds) this.credentials.add({ orgId, token, expiresAt: this.clocks.for(orgId).now() + lasts })
  }

  #end(token: string, session: Session): void {
    this.#sessions.delete(token)
    session.user.sessions.delete(token)
    for (const orgId of session.user.spec.orgIds) this.credentials.revoke(orgId, token)
  }

  #view(user: User): UserView {
    const { spec } = user
    const now = this.clock.now()
    const sessions = liveSessions(user, now)
    return {
      userId: user.userId,
      handle: spec.handle,
      handleType: spec.handleType,
      orgIds: [...spec.orgIds],
      givenName: spec.givenName ?? null,
      lastName: spec.lastName ?? null,
      email: spec.handleType === 'email' ? spec.handle : spec.email ?? null,
      mobile: spec.handleType === 'mobile' ? spec.handle : spec.mobile ?? null,
      sessions
    }
  }

  #answer(token: string, session: Session): LoginData {
    const { user } = session
    const view = this.#view(user)
    return {
      token,
      userId: user.userId,
      expiry: session.expiresAt,
      email: view.email,
      mobile: view.mobile,
      givenName: view.givenName,
      lastName: view.lastName,
      state: 'ACTIVE',
      verificationStatus: 'VERIFIED',
      passwordLastModified: user.createdAt,
      timezone: 'Asia/Kolkata',
      locale: 'en_IN',
      createdOn: user.createdAt,
      lastUpdated: user.createdAt,
      associatedOrgs: user.spec.orgIds.map((id, i) => {
        const info = this.credentials.org(id)
        return {
          organisation: {
            id,
            name: info.name ?? `Organisation ${id}`,
            taxIdentifier: info.taxIdentifier ?? info.gstin?.slice(2, 12) ?? derivedPan(id),
            taxIdentifierType: 'PAN',
            country: 'IN',
            services: SERVICES.map((service) => ({ ...service }))
          },
          userAccessInfo: { primary: i === 0, admin: true }
        }
      })
    }
  }
}

/** How many of a user's sessions are live at `now` (at most a few over {@link MAX_SESSIONS}). */
function liveSessions(user: User, now: number): number {
  let live = 0
  for (const session of user.sessions.values()) if (now < session.expiresAt) live++
  return live
}

/** A made-up PAN for an org the credentials say nothing of (5 letters, 4 digits, a letter). */
function derivedPan(orgId: string): string {
  const digest = createHash('sha256').update(orgId).digest()
  const letter = (i: number): string => String.fromCharCode(65 + ((digest[i] as number) % 26))
  return `${letter(0)}${letter(1)}${letter(2)}C${letter(3)}${String(digest.readUInt16BE(4) % 10_000).padStart(4, '0')}${letter(6)}`
}

/**
 * Thrown for an 11th live session of one user (§4): answered `401` with the upstream's body,
 * `{"error":{"message":"err-active-tokens-limit-exceeded","args":{}}}` (no `type`; see errors.ts).
 */
export class SessionLimitError extends MockError {
  constructor() {
    super('ERR_ACTIVE_TOKENS_LIMIT', 'err-active-tokens-limit-exceeded')
  }
}
