// The one logger: pino, JSON lines with a level, used by the API (as fastify's
// loggerInstance), the workers, prepare and the CLI. Levels come from LOG_LEVEL
// (config.logLevel). Lives under config/ so every layer can import it.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './index.ts';

export type { Logger };

export interface LoggerOptions {
  /** Which process part logs (api, worker, cli); added to every line. */
  name?: string;
  /** stdout by default; the CLI logs to stderr so its stdout stays the command's output. */
  destination?: DestinationStream | 1 | 2;
}

export function createLogger(level: LogLevel, opts: LoggerOptions = {}): Logger {
  const dest = opts.destination ?? 1;
  return pino(
    {
      level,
      name: opts.name,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Credentials never reach a log line, whoever logs a request or an options object.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'authorization', 'apiKey', 'secret'], censor: '[redacted]' },
    },
    typeof dest === 'number' ? pino.destination({ fd: dest, sync: true }) : dest,
  );
}

/** A logger that writes nothing (tests, embedding). */
export const silentLogger: Logger = pino({ level: 'silent' });
