import { type Authenticate, type Gateway, GatewayError, type TenantContext } from '@pixelgate/core';
import type { AuditReader } from './audit-reader.ts';
import { handleConsoleApi } from './console-api.ts';
import { inlineScriptHashes, loadStaticAssets, type StaticAsset } from './static-assets.ts';

/** Options of {@link createConsoleHandler}. */
export interface ConsoleHandlerOptions {
  gateway: Gateway;
  /** The API routes' authenticator, so the console signs in with the same keys. */
  authenticate: Authenticate;
  /** Where the audit view reads records; without it the view says the log is not exposed. */
  auditReader?: AuditReader;
  /** Tenant ids whose keys see every tenant in the audit view (default none). */
  adminTenantIds?: string[];
  /** Path prefix the API lives under (the HTTP handler's `pathPrefix`, default ''). */
  pathPrefix?: string;
}

/** Answers the console's and the reference's requests, and `undefined` for any other path. */
export type ConsoleHandler = (request: Request) => Promise<Response | undefined>;

/**
 * The browser console at `{prefix}/console/` and the interactive API reference at `{prefix}/docs`
 * (Swagger UI over `{prefix}/openapi.json`), served from the package's own files: no CDN, so it
 * works offline. Mount it in front of the API handler:
 * `(request) => consoleHandler(request).then((r) => r ?? api(request))`.
 */
export async function createConsoleHandler(options: ConsoleHandlerOptions): Promise<ConsoleHandler> {
  const prefix = options.pathPrefix ?? '';
  const assets = await loadStaticAssets();
  const policies = new Map<string, string>();
  for (const page of ['index.html', 'docs.html']) {
    policies.set(page, contentSecurityPolicy(new TextDecoder().decode(assets.get(page)!.body)));
  }
  const admins = new Set(options.adminTenantIds ?? []);
  const api = {
    gateway: options.gateway,
    authenticate: options.authenticate,
    isAdmin: (tenant: TenantContext) => admins.has(tenant.tenantId),
    ...(options.auditReader ? { auditReader: options.auditReader } : {}),
  };
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (!path.startsWith(`${prefix}/`)) return undefined;
    const local = path.slice(prefix.length);
    if (local.startsWith('/v1/console/')) return handleConsoleApi(api, request, local);
    const asset = assetPath(local);
    if (asset === undefined) return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    if (asset.startsWith('redirect:')) {
      return Response.redirect(new URL(`${prefix}${asset.slice('redirect:'.length)}`, request.url), 308);
    }
    const found = assets.get(asset);
    if (!found) return notFound(local);
    return serve(found, request.method === 'HEAD', policies.get(asset));
  };
}

/** Maps a URL path to an asset name, `redirect:<path>` for a canonical page path, or undefined when not ours. */
function assetPath(local: string): string | undefined {
  if (local === '/console') return 'redirect:/console/';
  if (local === '/docs/') return 'redirect:/docs';
  if (local === '/console/') return 'index.html';
  if (local === '/docs') return 'docs.html';
  if (local.startsWith('/console/')) return local.slice('/console/'.length);
  if (local.startsWith('/docs/')) return local.slice('/docs/'.length);
  return undefined;
}

function serve(asset: StaticAsset, head: boolean, policy: string | undefined): Response {
  const headers: Record<string, string> = {
    'content-type': asset.contentType,
    'content-length': String(asset.body.byteLength),
    'cache-control': asset.cacheControl,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (policy) {
    headers['content-security-policy'] = policy;
    headers['x-frame-options'] = 'DENY';
  }
  return new Response(head ? null : asset.body, { status: 200, headers });
}

function notFound(path: string): Response {
  const error = new GatewayError('NOT_FOUND', `No console file at ${path}.`, { status: 404 });
  return new Response(JSON.stringify({ error: { code: error.code, message: error.message } }), {
    status: 404,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

/** Scripts only from the package's own files (plus the hashed import map); images from this origin and data URLs. */
function contentSecurityPolicy(html: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes(html).join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
