import { GatewayError } from '../../errors/gateway-error.ts';
import { findModel, toModelObject } from '../model-object.ts';
import { jsonReply } from '../replies.ts';
import type { HttpParts, Route } from '../route.ts';

const ONE = '/v1/models/';

/** The model id of `/v1/models/{id}` (slashes allowed, percent-decoded), or '' when undecodable. */
function modelIdOf(path: string): string {
  try {
    return decodeURIComponent(path.slice(ONE.length));
  } catch {
    return '';
  }
}

/**
 * `GET {prefix}/v1/models` and `GET {prefix}/v1/models/{id}`: the models this caller may use,
 * in OpenAI's list shape with pixelgate's capabilities under `pixelgate`. A model the caller may
 * not use is answered like a missing one.
 */
export function modelsRoute(parts: HttpParts): Route {
  return {
    name: 'models',
    matches: (path) => path === '/v1/models' || path.startsWith(ONE),
    methods: ['GET'],
    style: 'openai',
    authentication: 'required',
    audited: false,
    async handle(context) {
      const models = parts.gateway.listModels(context.tenant);
      if (context.path === '/v1/models') {
        return jsonReply(context, 200, { object: 'list', data: models.map(toModelObject) });
      }
      const id = modelIdOf(context.path);
      const model = findModel(models, id);
      if (!model) {
        throw new GatewayError(
          'MODEL_NOT_FOUND',
          `The model '${id}' does not exist or you do not have access to it.`,
          {
            param: 'model',
          },
        );
      }
      return jsonReply(context, 200, toModelObject(model));
    },
  };
}
