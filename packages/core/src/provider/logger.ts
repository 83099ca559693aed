// The logger lives in `shared/` (every layer uses it); this path stays for existing imports.
export { type Logger, type PinoLikeLogger, pinoLogger, silentLogger } from '../shared/logger.ts';
