// Renders the interactive reference from the server's own OpenAPI document, which sits next to
// this page ({prefix}/docs -> {prefix}/openapi.json). No CDN: the bundle comes from the
// @pixelgate/console package.
window.SwaggerUIBundle({
  url: new URL('openapi.json', window.location.href).href,
  dom_id: '#reference',
  deepLinking: true,
});
