// The handler contract: what a handler and a security check are given (input, context) and may
// return, and the typed forms `specbind types` builds on. Types only; the lowest layer above the
// document (STYLE principle 9), so that binding, security and handler resolution can name them
// without importing the core.
import type { Logger } from 'pino';
import type { NativeRequest } from '../http/request';
import type { Reply, ReplyOptions } from './reply';

export interface OperationInfo {
  operationId: string;
  method: string;
  /** The path template as written in the document. */
  path: string;
  tags: string[];
}

/**
 * `ctx.reply.<name>(body?, options?)`: one method per declared response of the operation. Declared
 * with method syntax (same call signature) so that a typed context's narrower reply methods
 * (TypedContext, below) still fit wherever a HandlerContext is expected.
 */
export type ReplyMethods = Record<string, { reply(body?: unknown, options?: ReplyOptions): Reply }['reply']>;

export interface HandlerContext {
  reply: ReplyMethods;
  /**
   * The adapter's own request: node's IncomingMessage (Express's request when mounted), or the Fetch
   * API `Request` under `server.fetch` (Bun, Deno, Hono, edge runtimes). `ctx.header()` reads a header
   * from either.
   */
  request: NativeRequest;
  /** A request header by name (any case), whatever the adapter. */
  header(name: string): string | undefined;
  operation: OperationInfo;
  log: Logger;
  /** What the security check(s) returned; undefined for public operations. */
  principal: unknown;
  requestId: string;
  /** Aborted when the client goes away before its response is complete: pass it to what the handler waits on (a stream's source too). */
  readonly signal: AbortSignal;
  /** The `Last-Event-ID` header a reconnecting EventSource sends: the id of the last server-sent event it received. */
  readonly lastEventId: string | undefined;
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
  /** The adapter's own request (as `ctx.request`). */
  request: NativeRequest;
  operation: OperationInfo;
}

/** Accepts with a truthy principal; rejects with false/undefined or by throwing (an HttpError keeps its status). */
export type SecurityCheck = (input: SecurityCheckInput) => unknown | Promise<unknown>;

export type ModelClass = (new (...args: any[]) => any) & { fromJSON?: (json: any) => any; build?: (fields: any) => any };


// ---- Typed handlers: the generic pieces `specbind types` builds on (see src/codegen/). A generated
// module declares, per operationId, `{ input; replies; success }`; these turn it into handler types.

declare const REPLY_NAME: unique symbol;

/** A Reply made by `ctx.reply.<Name>()` of a typed context (branded: a plain object is not one). */
export type TypedReply<Name extends string = string> = Reply & { readonly [REPLY_NAME]: Name };

/** What a generated module declares for one operation. */
export interface OperationTypes {
  /** Every parameter under its camelCased name, and `body`. */
  input: object;
  /** Reply name → the body type of that response (`undefined` for a response without content). */
  replies: object;
  /** The type a plain return value must have: the only 2xx body; `never` when the handler must choose a reply. */
  success: unknown;
}

/** A body as a handler may give it: the value, or an object whose `toJSON()` gives it (JSON.stringify honours it). */
export type ReplyBody<Body> = [Body] extends [undefined] ? undefined : Body | { toJSON(): Body };

/** A reply method type (method syntax, as ReplyMethods). */
type ReplyMethodOf<Args extends unknown[], Name extends string> = { reply(...args: Args): TypedReply<Name> }['reply'];

/** `ctx.reply.<name>(body, options?)`; the body may be left out only where the response needs none. */
export type TypedReplyMethod<Name extends string, Body> = undefined extends Body
  ? ReplyMethodOf<[body?: ReplyBody<Body>, options?: ReplyOptions], Name>
  : ReplyMethodOf<[body: ReplyBody<Body>, options?: ReplyOptions], Name>;

/** One method per declared reply name, each taking that response's body type. */
export type TypedReplyMethods<Replies> = { [Name in keyof Replies & string]: TypedReplyMethod<Name, Replies[Name]> };

/** A HandlerContext whose `reply` has exactly the operation's declared responses. Assignable to HandlerContext. */
export interface TypedContext<Replies> extends Omit<HandlerContext, 'reply'> {
  reply: TypedReplyMethods<Replies>;
}

/** What a typed handler returns: a value of the success type (void for a body-less one) or one of its replies. */
export type TypedResult<Op extends OperationTypes> =
  | ([Op['success']] extends [never] ? never : [Op['success']] extends [undefined] ? void : ReplyBody<Op['success']>)
  | TypedReply<keyof Op['replies'] & string>;

/** A handler typed by its operation: `export const getBuild: Handlers['getBuild'] = async (input, ctx) => …`. */
export type TypedHandler<Op extends OperationTypes> = (input: Op['input'], ctx: TypedContext<Op['replies']>) => TypedResult<Op> | Promise<TypedResult<Op>>;
