import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type AppSettings } from './app.module.ts';

/**
 * Creates the Nest application. Nest's JSON parser is kept off `/v1`: pixelgate reads, size-limits
 * and validates its own body (and answers malformed JSON with OpenAI's error shape), while the
 * app's own routes still get `@Body()` parsed as usual.
 */
export async function createNestApp(
  settings: AppSettings,
  options: { logger?: false } = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(settings), {
    bodyParser: false,
    ...(options.logger === false ? { logger: false } : {}),
  });
  app.useBodyParser('json', {
    limit: '16kb',
    type: (req: IncomingMessage) =>
      !req.url?.startsWith('/v1/') && /\bjson\b/i.test(req.headers['content-type'] ?? ''),
  });
  app.enableShutdownHooks();
  return app;
}
