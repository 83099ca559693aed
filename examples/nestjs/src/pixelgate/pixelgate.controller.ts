import type { IncomingMessage, ServerResponse } from 'node:http';
import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { FetchHandler } from '@pixelgate/core';
import { type NodeHandler, toNodeHandler } from '@pixelgate/node';
import { PIXELGATE_HANDLER } from './pixelgate.tokens.ts';

/**
 * Hands every request under `/v1` to pixelgate's handler: routing, authentication, validation and
 * error envelopes stay pixelgate's, so OpenAI SDKs see exactly what they expect. `@Res()` tells
 * Nest the response is written here.
 */
@Controller('v1')
export class PixelgateController {
  readonly #handle: NodeHandler;

  constructor(@Inject(PIXELGATE_HANDLER) handler: FetchHandler) {
    this.#handle = toNodeHandler(handler);
  }

  @All('*path')
  handle(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    this.#handle(request, response);
  }
}
