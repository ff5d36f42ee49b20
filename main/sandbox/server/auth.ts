/**
 * Stream server-side auth as the real service checks it (spec §1.2–1.3): `api_key` query param,
 * `stream-auth-type: jwt`, and an HS256 JWT in `Authorization` (raw, no "Bearer"). Extra standard
 * claims are accepted; `exp`, `nbf` and `iat` are honoured against the sandbox clock.
 */
import crypto from 'node:crypto';

export function base64url(buf: Buffer | string): string {
  return Buffer.from(buf).toString('base64url');
}

/** Sign an HS256 JWT (what stream-chat does for `{server: true}`; tests use it for odd tokens). */
export function signJwt(payload: Record<string, unknown>, secret: string, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const h = base64url(JSON.stringify(header));
  const p = base64url(JSON.stringify(payload));
  const sig = crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${sig}`;
}

export interface AuthFailure {
  status: number;
  code: number;
  /** Detail placed inside `<Op> failed with error: "…"`. */
  detail: string;
}

export interface AuthOk {
  claims: Record<string, unknown>;
  server: boolean;
  userId?: string;
}

export interface AuthInput {
  apiKey: string | null;
  authType: string | undefined;
  authorization: string | undefined;
}

export function checkAuth(input: AuthInput, app: { apiKey: string; apiSecret: string }, nowMs: number): AuthOk | AuthFailure {
  if (!input.apiKey) return { status: 401, code: 2, detail: 'api_key not found' };
  if (input.apiKey !== app.apiKey) return { status: 401, code: 2, detail: `api_key not valid` };
  if (input.authType === undefined || input.authType.toLowerCase() !== 'jwt') {
    // 'anonymous' is a client-side mode: no server operation accepts it.
    return { status: 401, code: 5, detail: 'stream-auth-type missing or invalid' };
  }
  const token = input.authorization?.trim();
  if (!token) return { status: 401, code: 5, detail: 'JWTAuth error: authorization header is missing' };
  const parts = token.split('.');
  if (parts.length !== 3) return { status: 401, code: 5, detail: 'JWTAuth error: token is malformed' };
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return { status: 401, code: 5, detail: 'JWTAuth error: token is malformed' };
  }
  if (header.alg !== 'HS256') return { status: 401, code: 43, detail: `JWTAuth error: signing method ${String(header.alg)} is invalid` };
  const expected = crypto.createHmac('sha256', Buffer.from(app.apiSecret, 'utf8')).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    return {
      status: 401,
      code: 43,
      detail: `JWTAuth error: signature is not valid. Make sure the token is created using the secret for API key "${app.apiKey}"`,
    };
  }
  const nowS = nowMs / 1000;
  if (typeof claims.exp === 'number' && nowS >= claims.exp) return { status: 401, code: 40, detail: 'JWTAuth error: token is expired (exp)' };
  if (typeof claims.nbf === 'number' && nowS < claims.nbf) return { status: 401, code: 41, detail: 'JWTAuth error: token is not valid yet (nbf)' };
  if (typeof claims.iat === 'number' && nowS + 1 < claims.iat) return { status: 401, code: 42, detail: 'JWTAuth error: token used before issue at (iat)' };
  const server = claims.server === true;
  const userId = typeof claims.user_id === 'string' ? claims.user_id : undefined;
  if (!server && !userId) return { status: 401, code: 5, detail: 'JWTAuth error: token has neither server nor user_id claim' };
  return { claims, server, userId };
}

export function isAuthFailure(x: AuthOk | AuthFailure): x is AuthFailure {
  return (x as AuthFailure).code !== undefined;
}
