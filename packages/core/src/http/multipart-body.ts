import { Readable } from 'node:stream';
import type busboyFactory from 'busboy';
import { GatewayError, validationError } from '../errors/gateway-error.ts';
import { fromFetchRequest } from './fetch-exchange.ts';
import type { HttpExchange } from './http-exchange.ts';

type Busboy = ReturnType<typeof busboyFactory>;

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
  return readMultipartExchange(fromFetchRequest(request), limits);
}

/**
 * {@link readMultipartBody} for a router exchange: the body streams from the exchange when it can
 * (`streamBody`), else it is read whole up to the total limit first (still never unbounded).
 */
export async function readMultipartExchange(
  exchange: HttpExchange,
  limits: MultipartLimits,
): Promise<MultipartBody> {
  const contentType = exchange.headers.get('content-type');
  checkMultipartType(contentType);
  const chunks = exchange.streamBody
    ? exchange.streamBody()
    : oneChunk(await exchange.readBody(limits.maxTotalBytes));
  return parseMultipart(
    { contentType, contentLength: exchange.headers.get('content-length'), chunks },
    limits,
  );
}

/** Whether a Content-Type is multipart/form-data (the edits and variations routes accept JSON too). */
export function isMultipart(contentType: string | null): boolean {
  return (contentType ?? '').trim().toLowerCase().startsWith('multipart/form-data');
}

function checkMultipartType(contentType: string | null): void {
  if (!isMultipart(contentType)) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      'Send the images as multipart/form-data (or the body as application/json).',
      {
        status: 415,
        details: { header: 'content-type', accepted: ['multipart/form-data', 'application/json'] },
      },
    );
  }
}

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  if (bytes.byteLength > 0) yield bytes;
}

interface MultipartSource {
  contentType: string | null;
  contentLength: string | null;
  chunks: AsyncIterable<Uint8Array>;
}

async function parseMultipart(input: MultipartSource, limits: MultipartLimits): Promise<MultipartBody> {
  const declared = Number(input.contentLength ?? '0');
  if (declared > limits.maxTotalBytes) throw bodyTooLarge(limits.maxTotalBytes);
  const { default: busboy } = await import('busboy');
  let parser: Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': input.contentType ?? '' },
      limits: {
        fileSize: limits.maxFileBytes,
        files: limits.maxFiles,
        fields: limits.maxFields ?? 64,
        fieldSize: limits.maxFieldBytes ?? 64 * 1024,
        parts: limits.maxFiles + (limits.maxFields ?? 64),
      },
    });
  } catch {
    // busboy refuses a multipart Content-Type without a boundary: the client's mistake, not ours.
    throw new GatewayError(
      'VALIDATION_ERROR',
      "The multipart/form-data Content-Type has no boundary; let the HTTP client set the header from the form (don't set it by hand).",
      { status: 400, details: { header: 'content-type' } },
    );
  }
  const source = Readable.from(input.chunks, { objectMode: false });
  return collectParts(source, parser, limits);
}

/** Feeds the source into busboy and gathers fields and files, failing at the first limit crossed. */
function collectParts(source: Readable, parser: Busboy, limits: MultipartLimits): Promise<MultipartBody> {
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
      stream.on('limit', () => fail(fileTooLarge(field, info.filename, limits.maxFileBytes)));
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
  return new GatewayError(
    'PAYLOAD_TOO_LARGE',
    `The upload is over ${maxBytes} bytes, the most this server accepts in one request.`,
    { status: 413, details: { limit_bytes: maxBytes } },
  );
}

function fileTooLarge(field: string, filename: string | undefined, maxBytes: number): GatewayError {
  const name = filename ? ` (${filename.slice(0, 100)})` : '';
  return new GatewayError(
    'PAYLOAD_TOO_LARGE',
    `The file in '${field}'${name} is over ${maxBytes} bytes, the most this server accepts per file.`,
    { status: 413, param: field, details: { limit_bytes: maxBytes } },
  );
}
