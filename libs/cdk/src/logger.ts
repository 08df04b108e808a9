// Loggers that mask secrets. A connector logs through ctx.logger; the text is masked here, at the
// last point before it leaves the process, so no caller has to remember to.

import type { AirbyteMessage, LogLevel, SecretMasker } from '@conveyor/protocol';
import type { Logger } from './types.js';

/** Anything that takes protocol messages, such as a MessageWriter. */
export interface MessageSink {
  write(message: AirbyteMessage): void | Promise<void>;
}

function ignoreRejection(result: void | Promise<void>): void {
  // A broken stdout also fails the connector's own output, which reports it; a log line has no one to tell.
  if (result) result.catch(() => undefined);
}

/** A logger that writes LOG messages (the protocol's way to log) to `out`, masked. */
export function createLogger(out: MessageSink, masker: SecretMasker): Logger {
  const log = (level: LogLevel, message: string): void => {
    ignoreRejection(out.write({ type: 'LOG', log: { level, message: masker.mask(message) } }));
  };
  return {
    debug: (message) => log('DEBUG', message),
    info: (message) => log('INFO', message),
    warn: (message) => log('WARN', message),
    error: (message) => log('ERROR', message),
  };
}

/** A logger for people: plain `LEVEL message` lines on stderr (or `out`), masked. */
export function consoleLogger(masker: SecretMasker, out: NodeJS.WritableStream = process.stderr): Logger {
  const log = (level: string, message: string): void => {
    out.write(`${new Date().toISOString()} ${level} ${masker.mask(message)}\n`);
  };
  return {
    debug: (message) => log('DEBUG', message),
    info: (message) => log('INFO', message),
    warn: (message) => log('WARN', message),
    error: (message) => log('ERROR', message),
  };
}

/** A logger that masks every message before handing it to `logger`. */
export function maskedLogger(logger: Logger, masker: SecretMasker): Logger {
  return {
    debug: (m) => logger.debug(masker.mask(m)),
    info: (m) => logger.info(masker.mask(m)),
    warn: (m) => logger.warn(masker.mask(m)),
    error: (m) => logger.error(masker.mask(m)),
  };
}
