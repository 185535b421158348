// What a handler returns to send a declared response (`ctx.reply.<name>()` makes one): the response
// declaration, its status, the body and options. The class the pipeline checks for with instanceof.
import type { ResponseSpec } from '../document/operations';

export interface ReplyOptions {
  headers?: Record<string, string | string[] | number>;
  /** The status for a range or `default` response (`4XX`, `default`); ignored for a fixed status. */
  status?: number;
  /** The media type to send when the response declares several. */
  contentType?: string;
}

/** The options of a Reply made without any (shared: a Reply's options are never changed in place). */
const NO_OPTIONS: ReplyOptions = Object.freeze({});

/** What a handler returns (or what `ctx.reply.<name>()` records) to send a declared response. */
export class Reply {
  constructor(
    readonly response: ResponseSpec,
    readonly status: number,
    readonly body: unknown,
    readonly options: ReplyOptions = NO_OPTIONS,
  ) {}
}

export function isReply(value: unknown): value is Reply {
  return value instanceof Reply;
}
