import type { TenantContext } from '../../access/tenant.ts';
import { isValidatedTenant, validateTenantOnce } from '../../access/validated-tenant.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { type ApiKeyAuthenticator, type Authenticate, hasCredentials } from '../api-key-authenticator.ts';
import type { HttpExchange } from '../http-exchange.ts';

/** Turns an exchange into its tenant, or throws AUTHENTICATION_ERROR (401). */
export type ExchangeAuthenticator = (exchange: HttpExchange) => Promise<TenantContext>;

/**
 * Builds the authentication step from the handler's options. Without an authenticator every
 * caller is anonymous (SDKs always send some key); with one, only callers that send no
 * credentials at all are, and only when `anonymous` is configured. Tenants validated at startup
 * (API-key entries, `anonymous`) are used as they are; a custom hook's result is checked against
 * the tenant schema on every request, since nothing else vouches for it.
 */
export function createExchangeAuthenticator(
  authenticate: Authenticate | undefined,
  anonymous: TenantContext | undefined,
): ExchangeAuthenticator {
  const fromHeaders = (authenticate as Partial<ApiKeyAuthenticator> | undefined)?.fromHeaders;
  return async (exchange) => {
    const presented = hasCredentials(exchange);
    if (anonymous && (!presented || !authenticate)) return anonymous;
    const tenant = fromHeaders
      ? fromHeaders(exchange.headers)
      : authenticate
        ? await authenticate(exchange.toRequest())
        : null;
    if (tenant) {
      if (isValidatedTenant(tenant)) return tenant;
      const valid = validateTenantOnce(tenant);
      if (!valid) throw new Error('authenticate returned an invalid tenant context');
      return valid;
    }
    throw new GatewayError(
      'AUTHENTICATION_ERROR',
      presented
        ? 'The API key is not valid.'
        : 'No API key was sent; pass it as "Authorization: Bearer <key>" (OpenAI SDKs do this with apiKey) or in an x-api-key header.',
      { details: { reason: presented ? 'invalid_credentials' : 'missing_credentials' } },
    );
  };
}

/** The WWW-Authenticate challenge of a 401: `invalid_token` when credentials were presented. */
export function wwwAuthenticate(exchange: HttpExchange): string {
  return hasCredentials(exchange)
    ? 'Bearer realm="pixelgate", error="invalid_token"'
    : 'Bearer realm="pixelgate"';
}
