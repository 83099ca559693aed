/** Nest injection token of the pixelgate `Gateway` (inject it with `@Inject(PIXELGATE_GATEWAY)`). */
export const PIXELGATE_GATEWAY = Symbol('PIXELGATE_GATEWAY');
/** Nest injection token of the fetch-style HTTP handler built on that gateway. */
export const PIXELGATE_HANDLER = Symbol('PIXELGATE_HANDLER');
/** Nest injection token of the options given to `PixelgateModule.forRoot`. */
export const PIXELGATE_OPTIONS = Symbol('PIXELGATE_OPTIONS');
