import type { Context } from 'aws-lambda';

/**
 * Structured JSON lines, one per meaningful event, always with the correlation id; never personal data.
 * The keys are Powertools Logger's (level, message, timestamp, service, cold_start, function_name,
 * function_request_id, correlation_id, error), so log queries written for it keep working. Written here
 * rather than imported, because with Powertools Logger the proxy-mode bundles did not fit their budget
 * (docs/architecture.md, "Decisions").
 */
const LEVELS = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 100 } as const;
type Level = Exclude<keyof typeof LEVELS, 'SILENT'>;

export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
  setCorrelationId(correlationId: string | undefined): void;
  /** At the start of each invocation: the Lambda context's keys on every line, the previous call's forgotten. */
  startInvocation(context: Context): void;
}

/** An error as a log can show it: name, message, stack, and its causes. */
function serialize(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) return value;
  const { name, message, stack } = value;
  const cause = (value as { cause?: unknown }).cause;
  return { name, message, stack, ...(cause !== undefined && depth < 3 ? { cause: serialize(cause, depth + 1) } : {}) };
}

export interface LoggerOptions {
  logLevel: string;
  serviceName?: string;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions | string): Logger {
  const {
    logLevel,
    serviceName = 'onboarding',
    write = (line: string) => void process.stdout.write(line),
  } = typeof options === 'string' ? { logLevel: options } : options;
  const threshold = LEVELS[logLevel.toUpperCase() as keyof typeof LEVELS] ?? LEVELS.INFO;
  let coldStart = true;
  let invocation: Record<string, unknown> = {};
  let correlationId: string | undefined;

  function log(level: Level, message: string, extra: Record<string, unknown> = {}) {
    if (LEVELS[level] < threshold) return;
    const fields = Object.fromEntries(Object.entries(extra).map(([key, value]) => [key, serialize(value)]));
    write(
      `${JSON.stringify({
        level,
        message,
        timestamp: new Date().toISOString(),
        service: serviceName,
        ...invocation,
        ...(correlationId === undefined ? {} : { correlation_id: correlationId }),
        ...fields,
      })}\n`,
    );
  }

  return {
    debug: (message, extra) => log('DEBUG', message, extra),
    info: (message, extra) => log('INFO', message, extra),
    warn: (message, extra) => log('WARN', message, extra),
    error: (message, extra) => log('ERROR', message, extra),
    setCorrelationId(id) {
      correlationId = id;
    },
    startInvocation(context) {
      correlationId = undefined;
      invocation = {
        cold_start: coldStart,
        function_name: context.functionName,
        function_memory_size: context.memoryLimitInMB,
        function_request_id: context.awsRequestId,
      };
      coldStart = false;
    },
  };
}
