import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { type HttpFailure, openAIError } from './fake-openai-shared.ts';

/** One uploaded file of a multipart request. */
export interface FakeUpload {
  /** The form field (`image`, `image[]`, `mask`). */
  field: string;
  filename: string;
  /** The part's declared Content-Type (the fake judges files by their bytes, as the API does). */
  declaredType: string;
  bytes: Uint8Array;
}

/** A parsed multipart body: text fields (last value wins) and files in order. */
export interface FakeForm {
  fields: Record<string, string>;
  files: FakeUpload[];
}

/**
 * Limits enforced while reading, before any model rule: larger than every catalog limit, so an
 * image over a model's `maxBytes` reaches the API's own 400 and only absurd bodies get a 413.
 */
export const FAKE_MULTIPART_LIMITS = {
  maxFileBytes: 64 * 1024 * 1024,
  maxFiles: 32,
  maxFields: 64,
  maxFieldBytes: 256 * 1024,
};

/** What the fake records of a multipart request: fields, and files by size and hash (never bytes). */
export function recordedForm(form: FakeForm): Record<string, unknown> {
  return {
    fields: form.fields,
    files: form.files.map((file) => ({
      field: file.field,
      filename: file.filename,
      declaredType: file.declaredType,
      size: file.bytes.byteLength,
      sha256: createHash('sha256').update(file.bytes).digest('hex'),
    })),
  };
}

function tooLarge(what: string): HttpFailure {
  return openAIError(413, `${what} is too large.`, null, 'request_too_large');
}

/**
 * Parses `multipart/form-data` with busboy as the request streams in; every limit is enforced
 * while reading. A body that is not multipart is OpenAI's 400 for an unparsable request.
 */
export function readMultipartForm(request: IncomingMessage): Promise<FakeForm> {
  const contentType = request.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    return Promise.reject(
      openAIError(
        400,
        `Invalid Content-Type header (${JSON.stringify(contentType)}), expected multipart/form-data.`,
        null,
        'invalid_content_type',
      ),
    );
  }
  const limits = FAKE_MULTIPART_LIMITS;
  const parser = busboy({
    headers: request.headers,
    limits: {
      fileSize: limits.maxFileBytes,
      files: limits.maxFiles,
      fields: limits.maxFields,
      fieldSize: limits.maxFieldBytes,
    },
  });
  return new Promise<FakeForm>((resolve, reject) => {
    const form: FakeForm = { fields: {}, files: [] };
    let settled = false;
    const fail = (failure: HttpFailure) => {
      if (settled) return;
      settled = true;
      request.unpipe(parser);
      request.resume();
      reject(failure);
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(tooLarge(`The field '${name}'`));
      else form.fields[name] = value;
    });
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(tooLarge(`The file in '${field}'`)));
      stream.on('close', () => {
        if (!settled) {
          const bytes = new Uint8Array(Buffer.concat(chunks));
          form.files.push({ field, filename: info.filename ?? '', declaredType: info.mimeType, bytes });
        }
      });
    });
    parser.on('filesLimit', () =>
      fail(openAIError(400, 'Too many files in the request.', 'image', 'too_many_files')),
    );
    parser.on('fieldsLimit', () =>
      fail(openAIError(400, 'Too many fields in the request.', null, 'invalid_request')),
    );
    parser.on('error', () =>
      fail(openAIError(400, 'Could not parse the multipart form data.', null, 'invalid_multipart')),
    );
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      resolve(form);
    });
    request.on('error', () => fail(openAIError(400, 'The upload was cut off.', null, 'invalid_multipart')));
    request.pipe(parser);
  });
}
