// The two error families (STYLE principle 5): StartupError stops the process and names what to fix;
// HttpError is a request error that becomes a declared response or an RFC 9457 problem.

/** specbind's own request-error codes, each with its status and title; `problemType` derives the `type` URI. */
export const PROBLEMS = {
  notFound: { status: 404, title: 'Not Found' },
  methodNotAllowed: { status: 405, title: 'Method Not Allowed' },
  notAcceptable: { status: 406, title: 'Not Acceptable' },
  validationFailed: { status: 400, title: 'Request validation failed' },
  malformedBody: { status: 400, title: 'Malformed request body' },
  payloadTooLarge: { status: 413, title: 'Payload Too Large' },
  unsupportedMediaType: { status: 415, title: 'Unsupported Media Type' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  notImplemented: { status: 501, title: 'Not Implemented' },
  internalError: { status: 500, title: 'Internal Server Error' },
  handlerTimeout: { status: 504, title: 'Handler Timeout' },
  responseValidationFailed: { status: 500, title: 'Response failed contract validation' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export function problemType(code: ProblemCode): string {
  return `urn:specbind:problem:${code}`;
}

/** One violation in a 400: a parameter (by `name`) or a body location (by JSON `pointer`). */
export interface ViolationDetail {
  in: 'path' | 'query' | 'header' | 'cookie' | 'body';
  name?: string;
  pointer?: string;
  message: string;
}

export interface HttpErrorOptions {
  /** A body to send instead of the generated problem (it must match the declared response schema). */
  body?: unknown;
  headers?: Record<string, string | string[]>;
  /** Extra members merged into the generated problem body. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/** False where the intrinsics are frozen (SES `lockdown()`, `--frozen-intrinsics`): errors then keep their stacks. */
const STACK_LIMIT_WRITABLE = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')?.writable === true && Object.isExtensible(Error);

/**
 * Thrown by handlers (or specbind itself) to send a declared error response.
 * `target` is a status (404) or a declared response name ('noBuildInfo').
 */
export class HttpError extends Error {
  readonly target: number | string;
  readonly detail?: string;
  readonly options: HttpErrorOptions;
  /** Set when specbind raised it: the code decides type and title. */
  code?: ProblemCode;
  errors?: ViolationDetail[];

  constructor(target: number | string, detail?: string, options: HttpErrorOptions = {}) {
    super(detail ?? String(target), options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'HttpError';
    this.target = target;
    this.detail = detail;
    this.options = options;
  }

  get status(): number | undefined {
    return typeof this.target === 'number' ? this.target : undefined;
  }

  /**
   * specbind's own answer (a 400, 404, 413…), made without a stack trace: it is a refusal, not a bug,
   * and a stack of specbind's frames would tell nobody anything. V8 walks and summarizes every
   * optimized frame to capture one; without it and without the throw (src/core/pipeline.ts, Refusal) a
   * GET refused with a 400 costs 29 µs of CPU instead of 48 (bench/README.md, "Refused requests"). An
   * error a handler makes with `new HttpError()` keeps its stack.
   */
  static of(code: ProblemCode, detail?: string, extra: { errors?: ViolationDetail[]; headers?: Record<string, string> } = {}): HttpError {
    const limit = Error.stackTraceLimit;
    if (STACK_LIMIT_WRITABLE) Error.stackTraceLimit = 0;
    let error: HttpError;
    try {
      error = new HttpError(PROBLEMS[code].status, detail, { headers: extra.headers });
    } finally {
      if (STACK_LIMIT_WRITABLE) Error.stackTraceLimit = limit;
    }
    error.code = code;
    error.errors = extra.errors;
    return error;
  }
}

/** Where a startup problem is: the operation and/or the file and JSON pointer. */
export interface StartupLocation {
  method?: string;
  path?: string;
  operationId?: string;
  file?: string;
  pointer?: string;
}

export interface StartupProblem extends StartupLocation {
  message: string;
  fix?: string;
}

/** Stops startup; lists every problem found, each with where it is and how to fix it. */
export class StartupError extends Error {
  readonly problems: StartupProblem[];

  constructor(summary: string, problems: StartupProblem[] = []) {
    super(problems.length ? `${summary}\n${problems.map((p) => `  - ${formatStartupProblem(p)}`).join('\n')}` : summary);
    this.name = 'StartupError';
    this.problems = problems;
  }
}

export function formatStartupProblem(p: StartupProblem): string {
  const where: string[] = [];
  if (p.method && p.path) where.push(`${p.method.toUpperCase()} ${p.path}`);
  if (p.operationId) where.push(`(${p.operationId})`);
  if (p.file) where.push(p.pointer ? `${p.file}#${p.pointer}` : p.file);
  else if (p.pointer) where.push(`#${p.pointer}`);
  const head = where.length ? `${where.join(' ')}: ` : '';
  return `${head}${p.message}${p.fix ? ` — ${p.fix}` : ''}`;
}

export const PROBLEM_JSON = 'application/problem+json';

/** An RFC 9457 problem details body, as specbind writes its own errors (unless the document declares another shape). */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: ViolationDetail[];
  [extension: string]: unknown;
}
