import type { HttpParts, Route } from '../route.ts';
import { editsRoute } from './edits.ts';
import { generationsRoute } from './generations.ts';
import { mediaRoute } from './media.ts';
import { modelsRoute } from './models.ts';
import { nativeEditRoute } from './native-edit.ts';
import { nativeGenerateRoute } from './native-generate.ts';
import { nativeVariationRoute } from './native-variation.ts';
import { openApiRoute } from './openapi.ts';
import { variationsRoute } from './variations.ts';

/** Every route the handler serves, in matching order. A new endpoint is one file and one line here. */
export function defaultRoutes(parts: HttpParts): Route[] {
  return [
    generationsRoute(parts),
    editsRoute(parts),
    variationsRoute(parts),
    nativeGenerateRoute(parts),
    nativeEditRoute(parts),
    nativeVariationRoute(parts),
    modelsRoute(parts),
    mediaRoute(parts),
    openApiRoute(parts),
  ];
}
