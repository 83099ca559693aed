// The console's only way to the server: the public HTTP API with the signed-in key, so the
// console can do nothing a client could not.

/** An API failure with the server's stable code, the offending field and its message. */
export class ApiError extends Error {
  constructor(status, code, message, param) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

/** The API base: the console lives at {base}/console/, the API at {base}/v1/. */
export function apiBase(location = window.location) {
  const at = location.pathname.indexOf('/console/');
  return location.pathname.slice(0, Math.max(at, 0));
}

/** The x-ratelimit-* headers of the newest response, for the usage view. */
export const lastRateLimit = { headers: {}, at: undefined };

export function createApi(key, base = apiBase()) {
  const call = async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const limits = {};
    for (const [name, value] of response.headers) if (name.startsWith('x-ratelimit-')) limits[name] = value;
    if (Object.keys(limits).length > 0) {
      lastRateLimit.headers = limits;
      lastRateLimit.at = new Date();
    }
    const text = await response.text();
    let json;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new ApiError(
        response.status,
        'INVALID_RESPONSE',
        `The server answered ${response.status} with a body that is not JSON.`,
      );
    }
    if (!response.ok) {
      const error = json.error ?? {};
      // OpenAI-style routes send the code in lower case; the console shows every code one way.
      throw new ApiError(
        response.status,
        String(error.code ?? `HTTP_${response.status}`).toUpperCase(),
        error.message ?? response.statusText,
        error.param ?? undefined,
      );
    }
    return json;
  };
  return {
    models: () => call('GET', '/v1/models').then((list) => list.data),
    generate: (request) => call('POST', '/v1/inference/images/generate', request),
    usage: () => call('GET', '/v1/console/usage'),
    audit: (limit = 50) => call('GET', `/v1/console/audit?limit=${limit}`),
  };
}
