// The abort helpers live in `shared/` (storage, guardrails and the pipeline use them too); this path
// stays for existing imports.
export { abortErrorFrom, throwIfAborted } from '../../shared/abort.ts';
