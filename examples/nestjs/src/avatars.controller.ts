import { BadRequestException, Body, Controller, Header, Inject, Post, StreamableFile } from '@nestjs/common';
import { type Gateway, GatewayError } from '@pixelgate/core';
import { PIXELGATE_GATEWAY } from './pixelgate/pixelgate.tokens.ts';

/** One of the app's own features, using the gateway that Nest's DI provides. */
@Controller('avatars')
export class AvatarsController {
  constructor(@Inject(PIXELGATE_GATEWAY) private readonly gateway: Gateway) {}

  @Post()
  @Header('content-type', 'image/png')
  async create(@Body() body: { name?: unknown }): Promise<StreamableFile> {
    if (typeof body?.name !== 'string' || body.name.length === 0 || body.name.length > 64) {
      throw new BadRequestException('name must be 1-64 characters');
    }
    try {
      const result = await this.gateway.generate(
        {
          model: 'local/placeholder',
          prompt: `an avatar for ${body.name}`,
          size: '256x256',
          output_format: 'png',
        },
        { tenant: { tenantId: 'avatars' }, source: 'nest:avatars' },
      );
      return new StreamableFile(Buffer.from(result.images[0]!.bytes));
    } catch (error) {
      if (GatewayError.isInstance(error) && error.status < 500) throw new BadRequestException(error.message);
      throw error;
    }
  }
}
