import { type DynamicModule, Module } from '@nestjs/common';
import { createApiKeyAuthenticator, type ImageProvider } from '@pixelgate/core';
import { createLocalProvider } from '@pixelgate/provider-local';
import { createOpenAIProvider } from '@pixelgate/provider-openai';
import { createStabilityProvider } from '@pixelgate/provider-stability';
import { AvatarsController } from './avatars.controller.ts';
import { PixelgateModule } from './pixelgate/pixelgate.module.ts';

/** Settings of the example app. */
export interface AppSettings {
  /** API keys callers present as `Authorization: Bearer <key>`. */
  keys: Array<{ id: string; key: string; tenantId: string }>;
  /** Environment: real providers join when their keys are set (tests pass `{}` to stay offline). */
  env?: Record<string, string | undefined>;
}

/** The example's root module: pixelgate plus one of the app's own controllers. */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with a static factory.
export class AppModule {
  static register({ keys, env = process.env }: AppSettings): DynamicModule {
    const providers: ImageProvider[] = [createLocalProvider()];
    if (env.OPENAI_API_KEY) providers.push(createOpenAIProvider({ apiKey: env.OPENAI_API_KEY }));
    if (env.STABILITY_API_KEY) providers.push(createStabilityProvider({ apiKey: env.STABILITY_API_KEY }));
    return {
      module: AppModule,
      imports: [
        PixelgateModule.forRoot({
          gateway: {
            providers,
            defaultModel: env.OPENAI_API_KEY ? 'openai/gpt-image-1.5' : 'local/placeholder',
          },
          http: { authenticate: createApiKeyAuthenticator({ keys }) },
          global: true,
        }),
      ],
      controllers: [AvatarsController],
    };
  }
}
