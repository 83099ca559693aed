import { randomUUID } from 'node:crypto';

/** Generates request and reservation ids. */
export interface IdGenerator {
  next(prefix: string): string;
}

/** Ids that never collide (`req_` + a UUID v4 without dashes). */
export const uuidIdGenerator: IdGenerator = {
  next: (prefix) => `${prefix}_${randomUUID().replaceAll('-', '')}`,
};
