import { createVerify, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { base64url, type FakeImagenContext, fail, GOOGLE_TOKEN_URL } from './fake-imagen-context.ts';

export function handleToken(ctx: FakeImagenContext, raw: string): { status: number; body: unknown } {
  const form = new URLSearchParams(raw);
  ctx.requests.push({
    url: `${ctx.url}/token`,
    path: '/token',
    api: 'token',
    body: { grant_type: form.get('grant_type') },
    authenticated: form.has('assertion'),
  });
  const failure = ctx.tokenFailures.shift();
  if (failure !== undefined) {
    return failure >= 500
      ? {
          status: failure,
          body: { error: 'internal_failure', error_description: 'The token service failed.' },
        }
      : {
          status: failure,
          body: { error: 'invalid_grant', error_description: 'Invalid grant: account not found' },
        };
  }
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
    return {
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' },
    };
  }
  const assertion = form.get('assertion') ?? '';
  const [header, payload, signature] = assertion.split('.');
  if (!header || !payload || !signature) {
    return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT.' } };
  }
  let claims: { iss?: string; scope?: string; aud?: string; exp?: number; iat?: number };
  try {
    const head = JSON.parse(base64url(header).toString('utf8')) as { alg?: string };
    if (head.alg !== 'RS256') throw new Error('alg');
    claims = JSON.parse(base64url(payload).toString('utf8')) as typeof claims;
  } catch {
    return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT.' } };
  }
  const publicKey = claims.iss ? ctx.serviceAccounts.get(claims.iss) : undefined;
  if (!publicKey)
    return {
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid grant: account not found' },
    };
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${header}.${payload}`);
  if (!verifier.verify(publicKey, base64url(signature))) {
    return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
  }
  const now = Math.floor(Date.now() / 1000);
  // google-auth-library signs for Google's endpoint whatever token_uri says; accept both.
  if (claims.aud !== GOOGLE_TOKEN_URL && claims.aud !== `${ctx.url}/token`) {
    return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT: aud.' } };
  }
  if (typeof claims.exp !== 'number' || claims.exp < now) {
    return {
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: 'Invalid JWT: Token must be a short-lived token.',
      },
    };
  }
  if (!claims.scope?.split(' ').includes('https://www.googleapis.com/auth/cloud-platform')) {
    return { status: 400, body: { error: 'invalid_scope', error_description: 'Invalid OAuth scope.' } };
  }
  const token = `ya29.fake-${randomBytes(24).toString('hex')}`;
  ctx.accessTokens.set(token, Date.now() + ctx.tokenLifetime * 1000);
  ctx.tokensIssued++;
  return { status: 200, body: { access_token: token, expires_in: ctx.tokenLifetime, token_type: 'Bearer' } };
}

export function checkVertexAuth(ctx: FakeImagenContext, req: IncomingMessage) {
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7) : undefined;
  const expires = token ? ctx.accessTokens.get(token) : undefined;
  if (!token || expires === undefined || expires < Date.now()) {
    fail(
      401,
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED',
          domain: 'googleapis.com',
        },
      ],
    );
  }
}

export function invalidKey() {
  return fail(400, 'API key not valid. Please pass a valid API key.', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' },
    },
  ]);
}

export function checkGeminiAuth(ctx: FakeImagenContext, req: IncomingMessage, query: URLSearchParams) {
  const header = req.headers['x-goog-api-key'];
  const key = (Array.isArray(header) ? header[0] : header) ?? query.get('key') ?? undefined;
  if (!key) {
    fail(
      403,
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'CONSUMER_INVALID',
          domain: 'googleapis.com',
        },
      ],
    );
  }
  if (!ctx.apiKeys.has(key)) invalidKey();
}
