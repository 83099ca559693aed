import { gallery } from '../state.js';
import { html, ImageCard } from './shared.js';

/** Every image made since signing in, newest first, with its metadata and the link's expiry. */
export function GalleryView() {
  return html`<section class="panel" aria-labelledby="gallery-title">
    <h2 id="gallery-title">Gallery</h2>
    ${
      gallery.length === 0
        ? html`<p>No images yet in this session. Generate or compare to fill it.</p>`
        : html`<div class="images">${gallery.map((image) => html`<${ImageCard} image=${image} />`)}</div>`
    }
  </section>`;
}
