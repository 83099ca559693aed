import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import OpenAI, { toFile } from 'openai';

/** Guide sample: a streamed edit with a mask, then variations, through the official SDK (docs/http.md). */
export async function editAndVary(
  baseURL: string, // like http://127.0.0.1:8787/v1
  apiKey: string,
  model: string, // a model that edits, varies and streams, like local/placeholder
  files: { photo: string; style: string; mask: string },
) {
  const client = new OpenAI({ baseURL, apiKey });
  const png = async (path: string) => toFile(await readFile(path), basename(path), { type: 'image/png' });

  // Edit two images with a mask, streaming two partial images before the final one.
  const stream = await client.images.edit({
    model,
    prompt: 'add a red boat',
    image: [await png(files.photo), await png(files.style)],
    mask: await png(files.mask),
    stream: true,
    partial_images: 2,
  });
  const events: string[] = [];
  for await (const event of stream) {
    if (event.type === 'image_edit.partial_image') events.push(`partial ${event.partial_image_index}`);
    else events.push(`completed ${event.size} ${event.output_format}`);
  }

  const variations = await client.images.createVariation({ model, image: await png(files.photo), n: 2 });
  return { events, variations: variations.data?.length ?? 0 };
}
