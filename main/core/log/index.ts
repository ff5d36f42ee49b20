export { createLogger, logFilePath, nullLogger, type Logger, type LoggerOptions, type LogLevel, type LogFields } from './logger.ts';
export { registerSecret, redact, redactValue, clearRegisteredSecrets, REDACTED } from './redact.ts';
