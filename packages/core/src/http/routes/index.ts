import type { HttpParts, Route } from '../route.ts';
import { generationsRoute } from './generations.ts';
import { mediaRoute } from './media.ts';
import { modelsRoute } from './models.ts';
import { nativeGenerateRoute } from './native-generate.ts';
import { openApiRoute } from './openapi.ts';

/** Every route the handler serves, in matching order. A new endpoint is one file and one line here. */
export function defaultRoutes(parts: HttpParts): Route[] {
  return [
    generationsRoute(parts),
    nativeGenerateRoute(parts),
    modelsRoute(parts),
    mediaRoute(parts),
    openApiRoute(parts),
  ];
}
