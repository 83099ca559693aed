import { pixelgate } from '../../../lib/pixelgate.ts';

// pixelgate needs Node APIs (crypto, fs storage, sharp in provider-local) and must never be cached.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * Every `/v1/*` request goes to pixelgate's fetch-style handler unchanged: App Router route
 * handlers take a Web `Request` and return a Web `Response`, which is exactly its signature.
 * `GET` serves `/v1/models` and `/v1/media/{token}`; `POST` the two generation routes.
 */
export async function GET(request: Request): Promise<Response> {
  return pixelgate().handler(request);
}

/** See {@link GET}. */
export async function POST(request: Request): Promise<Response> {
  return pixelgate().handler(request);
}

/** See {@link GET}: `HEAD /v1/media/{token}` answers with the headers only. */
export async function HEAD(request: Request): Promise<Response> {
  return pixelgate().handler(request);
}
