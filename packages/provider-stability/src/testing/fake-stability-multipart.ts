import { Readable } from 'node:stream';
import busboy from 'busboy';
import { HttpFailure } from './fake-stability-context.ts';
import type { FakeStabilityRequest } from './fake-stability-types.ts';

/** One file part of a multipart body. */
export interface FakeMultipartFile {
  bytes: Uint8Array;
  /** The part's declared content type. */
  type: string;
  filename: string;
}

/** A parsed multipart body: text fields and file parts by name. */
export interface FakeMultipartForm {
  fields: Record<string, string>;
  files: Record<string, FakeMultipartFile>;
}

/**
 * Parses a `multipart/form-data` body the way Stability's server reads it, with busboy: text
 * fields and file parts by name, each name at most once (a repeated field is a 400, as a form
 * field cannot hold two values there), a malformed body a 400. The body was already size-capped
 * by the router (413 above the limit). Every part is recorded (files by size and type only).
 */
export function parseMultipart(
  contentType: string,
  body: Buffer,
  record: FakeStabilityRequest,
): Promise<FakeMultipartForm> {
  return new Promise((resolve, reject) => {
    const form: FakeMultipartForm = { fields: {}, files: {} };
    const seen = new Set<string>();
    const once = (name: string) => {
      if (seen.has(name)) throw new HttpFailure(400, 'bad_request', `${name}: must be given once`);
      seen.add(name);
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType } });
    } catch {
      reject(
        new HttpFailure(400, 'bad_request', 'content-type: must be multipart/form-data with a boundary'),
      );
      return;
    }
    const fail = (error: unknown) =>
      reject(
        error instanceof HttpFailure
          ? error
          : new HttpFailure(400, 'bad_request', 'body: could not be parsed as multipart/form-data'),
      );
    parser.on('field', (name, value) => {
      try {
        once(name);
        form.fields[name] = value;
        record.fields[name] = value;
      } catch (error) {
        fail(error);
      }
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        try {
          once(name);
          const bytes = new Uint8Array(Buffer.concat(chunks));
          form.files[name] = { bytes, type: info.mimeType, filename: info.filename ?? '' };
          record.files[name] = { size: bytes.byteLength, type: info.mimeType, filename: info.filename ?? '' };
        } catch (error) {
          fail(error);
        }
      });
    });
    parser.on('error', fail);
    parser.on('close', () => resolve(form));
    Readable.from([body]).pipe(parser);
  });
}
