// What the agent's parts log through: pino's shape (JSON lines on stderr in production, a
// recording fake in tests).

export interface Logger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
  debug(o: object, msg?: string): void;
}
