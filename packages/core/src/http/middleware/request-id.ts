import type { IdGenerator } from '../../container/tokens.ts';
import type { HttpExchange } from '../http-exchange.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Issues the id of each request and keeps ids of requests in flight apart. */
export interface RequestIdIssuer {
  issue(exchange: HttpExchange): string;
  /** Called when the request has been answered. */
  release(requestId: string): void;
}

/**
 * Reuses a caller's `x-request-id` (1-128 of `A-Z a-z 0-9 . _ : -`) when allowed, so a request
 * can be followed from the client through proxies to the audit log; otherwise, or when the
 * caller's id is malformed or already in flight (two records must never share an id), a new one.
 */
export function createRequestIdIssuer(ids: IdGenerator, acceptCallerIds: boolean): RequestIdIssuer {
  const inFlight = new Set<string>();
  return {
    issue(exchange) {
      const given = acceptCallerIds ? exchange.headers.get('x-request-id') : null;
      const id = given && REQUEST_ID.test(given) && !inFlight.has(given) ? given : ids.next('req');
      inFlight.add(id);
      return id;
    },
    release(requestId) {
      inFlight.delete(requestId);
    },
  };
}
