/**
 * The demo IRP's signing key (docs/behaviour.md §14 `einvoice-bulk-generation`): `SignedInvoice` and
 * `SignedQRCode` are compact JWS (RS256) made with a demo RSA key that ships with the fixtures
 * (`signing-key.pem`, PKCS#8) and whose public half the server publishes as a JWKS
 * (`GET /.well-known/jwks.json`), so a client's tests can verify signatures as they do upstream.
 * RS256 (PKCS#1 v1.5) is deterministic: the same payload always gives the same JWS.
 * JOSE through `jose` (panva), the maintained reference implementation for JavaScript, loaded on
 * the first signature (~50 ms of CPU that start-up does not need): the public JWK and its
 * thumbprint are node:crypto's own JWK export and RFC 7638's SHA-256, which is what jose computes.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import type { JWK } from 'jose'

/** The issuer named in every payload, as the IRP names itself. */
export const DEMO_ISSUER = 'DEMO-IRP'

/** The public key set `GET /.well-known/jwks.json` answers. */
export interface Jwks {
  keys: JWK[]
}

let jose: Promise<typeof import('jose')> | undefined

/** Signs JWS with the demo key and publishes its public half. */
export class Signer {
  private constructor(
    readonly key: KeyObject,
    /** The key id (its RFC 7638 thumbprint), in every JWS header and the JWKS. */
    readonly kid: string,
    readonly jwks: Jwks
  ) {}

  /**
   * Reads a PKCS#8 PEM RSA private key.
   * @throws {Error} (from node:crypto) when the text is not a private key
   */
  static async fromPem(pem: string): Promise<Signer> {
    const key = createPrivateKey(pem)
    // An RSA key (fixtures.ts checks it): { kty, n, e }, as jose's exportJWK gives it.
    const jwk = createPublicKey(key).export({ format: 'jwk' }) as JWK
    // RFC 7638: the required members in lexicographic order, no whitespace.
    const kid = createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n })).digest('base64url')
    return new Signer(key, kid, { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] })
  }

  /**
   * A compact JWS of `{"data": <data as JSON text>, "iss": "DEMO-IRP"}`, the IRP's payload shape
   * (the invoice travels as a JSON string inside `data`).
   */
  async sign(data: unknown): Promise<string> {
    const payload = JSON.stringify({ data: JSON.stringify(data), iss: DEMO_ISSUER })
    const { CompactSign } = await (jose ??= import('jose'))
    return new CompactSign(Buffer.from(payload, 'utf8')).setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' }).sign(this.key)
  }
}
