// The public shapes: server options, handlers and the context they receive.
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { ReplyOptions, Reply } from '../replies/replies';

export type ResponseValidationMode = 'strict' | 'warn' | 'off';
export type MissingHandlers = 'fail' | 'mock' | 'notImplemented';

export interface OperationInfo {
  operationId: string;
  method: string;
  /** The path template as written in the document. */
  path: string;
  tags: string[];
}

/** `ctx.reply.<name>(body?, options?)`: one method per declared response of the operation. */
export type ReplyMethods = Record<string, (body?: unknown, options?: ReplyOptions) => Reply>;

export interface HandlerContext {
  reply: ReplyMethods;
  /** The raw request: node's IncomingMessage, or Express's request when mounted. */
  request: IncomingMessage;
  operation: OperationInfo;
  log: Logger;
  /** What the security check(s) returned; undefined for public operations. */
  principal: unknown;
  requestId: string;
}

export type Handler<I = any, R = unknown> = (input: I, ctx: HandlerContext) => R | Promise<R>;

export interface SecurityCheckInput {
  /** The credential as presented: the API key, the bearer token, or `user:password` for basic. */
  credential: string;
  /** For http basic. */
  username?: string;
  password?: string;
  /** Scopes the operation requires (oauth2/openIdConnect; also listed for other schemes). */
  scopes: string[];
  /** The securitySchemes name. */
  scheme: string;
  request: IncomingMessage;
  operation: OperationInfo;
}

/** Accepts with a truthy principal; rejects with false/undefined or by throwing (an HttpError keeps its status). */
export type SecurityCheck = (input: SecurityCheckInput) => unknown | Promise<unknown>;

export type ModelClass = (new (...args: any[]) => any) & { fromJSON?: (json: any) => any; build?: (fields: any) => any };

export interface CreateServerOptions {
  /** A path to the document (YAML or JSON), or a parsed document object. */
  spec: string | object;
  /** A directory whose modules export handlers named after operationIds, or an object of handlers. */
  handlers?: string | Record<string, Handler>;
  models?: Record<string, ModelClass>;
  security?: Record<string, SecurityCheck>;
  responseValidation?: ResponseValidationMode;
  /** Swagger UI path, or false. Default '/docs'. */
  docs?: string | false;
  missingHandlers?: MissingHandlers;
  /** Request body limit in bytes (default 1 MiB); for multipart bodies, the limit of all parts together. */
  bodyLimit?: number;
  /** multipart/form-data limits: largest file (default: bodyLimit) and most files (default 10). */
  multipart?: { fileSize?: number; files?: number };
  /** Query parameters the operation does not declare: 'ignore' (default) or 'reject' with a 400. */
  unknownQueryParameters?: 'ignore' | 'reject';
  /** Compile every validator at startup ('eager', the default) or on each operation's first request ('lazy'). */
  compile?: 'eager' | 'lazy';
  /** A pino logger, or options for the one specbind makes (level from LOG_LEVEL, default 'info'). */
  logger?: Logger | { level?: string };
  /** Readiness probe for /readyz, e.g. a database ping. */
  ready?: () => boolean | Promise<boolean>;
  /** Serve only the operations carrying one of these tags (the others answer 404). */
  tags?: string[];
}

export type { ReplyOptions, Reply };
