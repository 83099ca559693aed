import { GatewayError } from '../errors/gateway-error.ts';
import { MAX_EDIT_IMAGES } from '../request/image-edit-request.ts';
import { readJsonObjectBody } from './middleware/json-body.ts';
import { isMultipart, type MultipartBody, readMultipartExchange } from './multipart-body.ts';
import type { HttpParts, RouteContext } from './route.ts';

/** How an upload route turns each body form into its request object. */
export interface UploadForms {
  fromForm(body: MultipartBody): Record<string, unknown>;
  fromJson(body: Record<string, unknown>): Record<string, unknown>;
}

function isJson(contentType: string | null): boolean {
  return (contentType ?? '').trim().toLowerCase().startsWith('application/json');
}

/** The text fields of a form, kept for the audit record of a request refused while mapping it. */
function textFields(body: MultipartBody): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body.fields).filter(([, value]) => typeof value === 'string'));
}

/**
 * Reads the body of an edit or variation: `multipart/form-data` as the OpenAI SDKs send it,
 * streamed with the handler's upload limits (per file, whole body, at most 16 images and a mask),
 * or JSON up to the whole-body upload limit. Anything else is a 415 naming both forms.
 */
export async function readUploadInput(
  parts: HttpParts,
  context: RouteContext,
  forms: UploadForms,
): Promise<Record<string, unknown>> {
  const contentType = context.exchange.headers.get('content-type');
  if (isMultipart(contentType)) {
    const body = await readMultipartExchange(context.exchange, {
      maxFileBytes: parts.uploads.maxFileBytes,
      maxTotalBytes: parts.uploads.maxTotalBytes,
      // One more than an edit takes, so a 17th image is refused by name rather than cut off.
      maxFiles: MAX_EDIT_IMAGES + 2,
    });
    context.body = textFields(body);
    return forms.fromForm(body);
  }
  if (!isJson(contentType)) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `${contentType ? `Unsupported Content-Type '${contentType.slice(0, 100)}'` : 'Missing Content-Type'}; send the images as multipart/form-data (as the OpenAI SDKs do) or the body as application/json with data: URLs.`,
      {
        status: 415,
        details: { header: 'content-type', accepted: ['multipart/form-data', 'application/json'] },
      },
    );
  }
  const json = await readJsonObjectBody(context.exchange, parts.uploads.maxTotalBytes);
  context.body = json;
  return forms.fromJson(json);
}
