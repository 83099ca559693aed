import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { GatewayError, validationError } from '../errors/gateway-error.ts';

/** One uploaded file, read whole (its size is capped while reading). */
export interface UploadedFile {
  /** The form field it came in (`image`, `image[]`, `mask`). */
  field: string;
  filename: string;
  /** The Content-Type the client declared for the part (checked against the bytes later). */
  declaredType: string;
  bytes: Uint8Array;
}

/** A parsed multipart body: text fields (repeated fields as arrays) and files in order. */
export interface MultipartBody {
  fields: Record<string, string | string[]>;
  files: UploadedFile[];
}

/** Limits enforced while the body streams in, never after buffering it. */
export interface MultipartLimits {
  /** Largest single file in bytes. */
  maxFileBytes: number;
  /** Most files in one request (OpenAI's edits take up to 16 images plus a mask). */
  maxFiles: number;
  /** Largest whole body in bytes. */
  maxTotalBytes: number;
  /** Most text fields, and the longest one in bytes (a prompt). */
  maxFields?: number;
  maxFieldBytes?: number;
}

/**
 * Parses `multipart/form-data` as the official OpenAI SDKs send it (`image` or repeated `image[]`,
 * `mask`, and text fields) with busboy, as a stream: every limit is enforced while reading, and
 * the first one crossed ends the request with `PAYLOAD_TOO_LARGE` (a file or the body) or
 * `VALIDATION_ERROR` (too many files or fields) naming what was wrong, before the rest is read.
 */
export async function readMultipartBody(request: Request, limits: MultipartLimits): Promise<MultipartBody> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!request.body || !contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new GatewayError('VALIDATION_ERROR', 'Send the images as multipart/form-data.', { status: 415 });
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limits.maxTotalBytes) throw bodyTooLarge(limits.maxTotalBytes);
  const { default: busboy } = await import('busboy');
  const parser = busboy({
    headers: { 'content-type': contentType },
    limits: {
      fileSize: limits.maxFileBytes,
      files: limits.maxFiles,
      fields: limits.maxFields ?? 64,
      fieldSize: limits.maxFieldBytes ?? 64 * 1024,
      parts: limits.maxFiles + (limits.maxFields ?? 64),
    },
  });
  const source = Readable.fromWeb(request.body as unknown as NodeReadableStream<Uint8Array>);
  return new Promise<MultipartBody>((resolve, reject) => {
    const body: MultipartBody = { fields: {}, files: [] };
    let total = 0;
    let settled = false;
    const fail = (error: GatewayError) => {
      if (settled) return;
      settled = true;
      source.unpipe(parser);
      source.destroy();
      reject(error);
    };
    source.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limits.maxTotalBytes) fail(bodyTooLarge(limits.maxTotalBytes));
    });
    source.on('error', () =>
      fail(new GatewayError('VALIDATION_ERROR', 'The upload was cut off before it ended.')),
    );
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        fail(validationError(name, `'${name}' is longer than ${limits.maxFieldBytes ?? 64 * 1024} bytes.`));
        return;
      }
      addField(body.fields, name, value);
    });
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () =>
        fail(
          new GatewayError(
            'PAYLOAD_TOO_LARGE',
            `The file in '${field}' (${info.filename}) is over ${limits.maxFileBytes} bytes.`,
            {
              status: 413,
              param: field,
            },
          ),
        ),
      );
      stream.on('close', () => {
        if (settled) return;
        body.files.push({
          field,
          filename: info.filename ?? '',
          declaredType: info.mimeType,
          bytes: new Uint8Array(Buffer.concat(chunks)),
        });
      });
    });
    parser.on('filesLimit', () =>
      fail(validationError('image', `At most ${limits.maxFiles} files can be sent in one request.`)),
    );
    parser.on('fieldsLimit', () => fail(validationError('body', 'The form has too many fields.')));
    parser.on('partsLimit', () => fail(validationError('body', 'The form has too many parts.')));
    parser.on('error', () => fail(new GatewayError('VALIDATION_ERROR', 'The multipart body is malformed.')));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      resolve(body);
    });
    source.pipe(parser);
  });
}

function addField(fields: Record<string, string | string[]>, name: string, value: string): void {
  const existing = fields[name];
  if (existing === undefined) fields[name] = value;
  else fields[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
}

function bodyTooLarge(maxBytes: number): GatewayError {
  return new GatewayError('PAYLOAD_TOO_LARGE', `The request body is over ${maxBytes} bytes.`, {
    status: 413,
  });
}
