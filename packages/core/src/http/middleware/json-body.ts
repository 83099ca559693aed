import type { HttpExchange } from '../http-exchange.ts';
import { checkJsonContentType, parseJsonObject } from '../request-body.ts';

/**
 * The body of a JSON route: the Content-Type is checked before a byte is read (415), the body
 * read up to the limit (413), then parsed as one JSON object (400 naming what was wrong).
 */
export async function readJsonObjectBody(
  exchange: HttpExchange,
  maxBodyBytes: number,
): Promise<Record<string, unknown>> {
  checkJsonContentType(exchange);
  return parseJsonObject(await exchange.readBody(maxBodyBytes));
}
