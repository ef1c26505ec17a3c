/**
 * Org ids and user tokens, and the authentication rule of the task routes
 * (docs/behaviour.md §2 rule 2, §12 `POST /__admin/orgs`): the credential spec as
 * `credentials.json` and `POST /__admin/orgs` give it, and the registry it is added to.
 */
import { MAX_TIME_MS, type Clock } from './clock.js'
import { ContractError } from './errors.js'
import { GSTIN_PATTERN } from './gstin.js'
import { instantOf, InvalidSpecError, ISO_8601, notADateTime } from './validation.js'

/** `strict`: registered credentials only; `any`: any non-empty pair; `off`: headers ignored. */
export type AuthMode = 'strict' | 'any' | 'off'

/** What is known of an org besides its tokens: its GSTIN (the gstn operations, §14), name and PAN (login, §4). */
export interface OrgInfo {
  gstin?: string
  name?: string
  /** The org's PAN, as the login answer's `taxIdentifier`. */
  taxIdentifier?: string
}

/**
 * One credential: a token issued for an org, valid until `expiresAt` (epoch ms) or forever (null),
 * and optionally what is known of the org.
 */
export interface Credential extends OrgInfo {
  orgId: string
  token: string
  expiresAt: number | null
}

/** {@link Credentials} as plain JSON: each org's tokens with their expiry (epoch ms or null), and org info. */
export interface CredentialsState {
  orgs: Array<[string, Array<[string, number | null]>]>
  info: Array<[string, OrgInfo]>
}

/** The JSON Schema of an org credential (`credentials.json` items, `POST /__admin/orgs`). */
export const credentialSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['orgId', 'token'],
  properties: {
    orgId: { type: 'string', minLength: 1, maxLength: 200 },
    token: { type: 'string', minLength: 1, maxLength: 1000 },
    expiresAt: {
      anyOf: [
        { type: 'string', pattern: ISO_8601 },
        { type: 'integer', minimum: 0, maximum: MAX_TIME_MS },
        { type: 'null' }
      ]
    },
    gstin: { type: 'string', pattern: GSTIN_PATTERN },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    taxIdentifier: { type: 'string', pattern: '^[A-Z]{5}[0-9]{4}[A-Z]$' }
  }
} as const

/**
 * A credential as sent: `expiresAt` is ISO-8601, epoch ms, null or absent (never expires);
 * `gstin` is the org's GSTIN, used by the gstn operations (§14); `name` and `taxIdentifier` (its
 * PAN) appear in the login answer (§4).
 */
export interface CredentialSpec {
  orgId: string
  token: string
  expiresAt?: string | number | null
  gstin?: string
  name?: string
  taxIdentifier?: string
}

/**
 * Turns a validated credential spec into a {@link Credential}.
 * @throws {InvalidSpecError} when `expiresAt` is not a real date
 */
export function credentialFromSpec(spec: CredentialSpec): Credential {
  let expiresAt: number | null = null
  if (typeof spec.expiresAt === 'string') {
    const parsed = instantOf(spec.expiresAt)
    if (parsed === undefined) throw new InvalidSpecError([notADateTime('/expiresAt')])
    expiresAt = parsed
  } else if (typeof spec.expiresAt === 'number') {
    expiresAt = spec.expiresAt
  }
  const { orgId, token, expiresAt: _given, ...info } = spec
  return { orgId, token, expiresAt, ...info }
}

/** The org every request acts as when auth is `off`, and the control API's default org (§9 org 1). */
export const DEFAULT_ORG_ID = '00000000-0000-4000-8000-000000000001'

/** Registered credentials, by org id then token. */
export class Credentials {
  readonly #orgs = new Map<string, Map<string, number | null>>()
  readonly #info = new Map<string, OrgInfo>()

  /** Registers (or replaces) a token for an org, and what it says of the org. */
  add(credential: Credential): void {
    const { orgId, token: _token, expiresAt: _expiresAt, ...info } = credential
    if (Object.keys(info).length > 0) this.#info.set(orgId, { ...this.#info.get(orgId), ...info })
    let tokens = this.#orgs.get(credential.orgId)
    if (!tokens) {
      tokens = new Map()
      this.#orgs.set(credential.orgId, tokens)
    }
    tokens.set(credential.token, credential.expiresAt)
  }

  /** Withdraws a token from an org (a logout, §4); an unknown one is ignored. */
  revoke(orgId: string, token: string): void {
    this.#orgs.get(orgId)?.delete(token)
  }

  /** The credentials as plain JSON (a shared store keeps them, §16). */
  snapshot(): CredentialsState {
    return {
      orgs: [...this.#orgs].map(([orgId, tokens]) => [orgId, [...tokens]]),
      info: [...this.#info].map(([orgId, info]) => [orgId, { ...info }])
    }
  }

  /** Replaces every credential with a {@link snapshot}. */
  restore(state: CredentialsState): void {
    this.clear()
    for (const [orgId, tokens] of state.orgs) this.#orgs.set(orgId, new Map(tokens))
    for (const [orgId, info] of state.info) this.#info.set(orgId, { ...info })
  }

  /** Forgets every credential. */
  clear(): void {
    this.#orgs.clear()
    this.#info.clear()
  }

  /** What the credentials said of an org (empty when nothing). */
  org(orgId: string): OrgInfo {
    return this.#info.get(orgId) ?? {}
  }

  /**
   * Decides which org a task-route request acts as (§2 rule 2).
   * @param orgHeader `X-FLYNN-N-ORG-ID` as received (undefined when absent)
   * @param tokenHeader `X-FLYNN-N-USER-TOKEN` as received
   * @returns the org id whose tasks the request may read
   * @throws {ContractError} `err-invalid-org`, `err-invalid-token` or `err-expired-token` (403)
   */
  authenticate(mode: AuthMode, orgHeader: string | undefined, tokenHeader: string | undefined, clock: Clock): string {
    if (mode === 'off') return DEFAULT_ORG_ID
    if (!orgHeader) throw new ContractError('err-invalid-org')
    if (mode === 'any') {
      if (!tokenHeader) throw new ContractError('err-invalid-token')
      return orgHeader
    }
    const tokens = this.#orgs.get(orgHeader)
    if (!tokens) throw new ContractError('err-invalid-org')
    const expiresAt = tokenHeader ? tokens.get(tokenHeader) : undefined
    if (expiresAt === undefined) throw new ContractError('err-invalid-token')
    if (expiresAt !== null && clock.now() >= expiresAt) throw new ContractError('err-expired-token')
    return orgHeader
  }
}
