// Session state: the API key lives in sessionStorage (gone when the tab closes, never in a URL);
// the gallery lives in memory for this sign-in.

const KEY = 'pixelgate.console.apiKey';

export function storedKey() {
  return window.sessionStorage.getItem(KEY) ?? '';
}

export function storeKey(key) {
  if (key) window.sessionStorage.setItem(KEY, key);
  else window.sessionStorage.removeItem(KEY);
}

/** Images made since signing in, newest first, with what the API said about each. */
export const gallery = [];

/** Adds a native generation response's images to the gallery. */
export function remember(request, response, elapsedMs) {
  const count = response.data.length || 1;
  const costUsd = response.cost?.actual_usd ?? response.cost?.estimated_usd;
  for (const image of response.data) {
    gallery.unshift({
      requestId: response.request_id,
      model: response.model,
      prompt: request.prompt,
      url: image.url ?? (image.b64_json ? `data:${image.media_type};base64,${image.b64_json}` : ''),
      urlExpiresAt: image.url_expires_at,
      seed: image.seed,
      revisedPrompt: image.revised_prompt,
      width: image.width,
      height: image.height,
      mediaType: image.media_type,
      sha256: image.sha256,
      costUsd: costUsd === undefined ? undefined : costUsd / count,
      labels: image.labels,
      provenance: provenanceText(image.provenance),
      elapsedMs,
      warnings: response.warnings ?? [],
    });
  }
}

/** How the gallery shows an image's Content Credentials. */
export function provenanceText(provenance) {
  if (!provenance) return undefined;
  return `Signed (C2PA), manifest ${provenance.manifest_sha256.slice(0, 12)}…`;
}
