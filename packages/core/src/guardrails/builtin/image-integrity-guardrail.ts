import { sniffImage } from '../../shared/media-type.ts';
import type { Guardrail, GuardrailVerdictInput } from '../guardrail.ts';

/** Options of {@link createImageIntegrityGuardrail}. */
export interface ImageIntegrityGuardrailOptions {
  /** Guardrail id (default `image-integrity`). */
  id?: string;
  /** What a mismatch does (default `block`). */
  action?: 'block' | 'flag';
}

/**
 * Checks that each produced image is what it claims: its bytes are a known image format, that
 * format is the media type the provider declared and the one requested, and its header dimensions
 * are the ones requested. Catches providers that return an HTML error page, a JPEG labelled PNG or
 * a silently resized image. Labels: `output:not_an_image`, `output:media_type_mismatch`,
 * `output:dimension_mismatch`, and (flag only) `output:dimensions_unknown` when the header does
 * not carry them.
 */
export function createImageIntegrityGuardrail(options: ImageIntegrityGuardrailOptions = {}): Guardrail {
  const action = options.action ?? 'block';
  return {
    id: options.id ?? 'image-integrity',
    stage: 'output',
    failMode: 'closed',
    check(input): GuardrailVerdictInput {
      const problems = new Set<string>();
      const notes = new Set<string>();
      const details: string[] = [];
      (input.images ?? []).forEach((image, index) => {
        const sniffed = sniffImage(image.bytes);
        if (!sniffed) {
          problems.add('output:not_an_image');
          details.push(`image ${index + 1} is not a recognized image format`);
          return;
        }
        if (sniffed.mediaType !== image.mediaType) {
          problems.add('output:media_type_mismatch');
          details.push(`image ${index + 1} is ${sniffed.mediaType} but was declared ${image.mediaType}`);
        } else if (image.expected.mediaType !== undefined && sniffed.mediaType !== image.expected.mediaType) {
          problems.add('output:media_type_mismatch');
          details.push(
            `image ${index + 1} is ${sniffed.mediaType} but ${image.expected.mediaType} was requested`,
          );
        }
        const { width, height } = image.expected;
        if (width !== undefined || height !== undefined) {
          if (sniffed.width === undefined || sniffed.height === undefined) {
            notes.add('output:dimensions_unknown');
          } else if (
            (width !== undefined && sniffed.width !== width) ||
            (height !== undefined && sniffed.height !== height)
          ) {
            problems.add('output:dimension_mismatch');
            details.push(
              `image ${index + 1} is ${sniffed.width}x${sniffed.height} but ${width ?? '?'}x${height ?? '?'} was expected`,
            );
          }
        }
      });
      const labels = [...problems, ...notes].sort();
      if (problems.size > 0) return { action, labels, reason: `${details.slice(0, 5).join('; ')}.` };
      if (notes.size > 0)
        return { action: 'flag', labels, reason: 'An image header does not state its dimensions.' };
      return { action: 'allow', labels: [] };
    },
  };
}
