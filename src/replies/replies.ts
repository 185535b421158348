// Named replies: every declared response of an operation reachable as `ctx.reply.<name>()` or
// `throw new HttpError(status | name)`, resolved to its response declaration once at startup.
import type { ResponseSpec } from '../document/operations';
import { Reply, type ReplyOptions } from '../contract/reply';

/** The status a response key stands for: '404' → 404, '4XX' → 400, 'default' → the given fallback. */
export function statusOf(key: string, fallback: number): number {
  if (/^\d{3}$/.test(key)) return Number(key);
  if (/^[1-5]XX$/i.test(key)) return Number(key[0]) * 100;
  return fallback;
}

export class ReplyTable {
  readonly byName = new Map<string, ResponseSpec>();
  /** The response a plain return value goes to: the only 2xx, else `default`; undefined when ambiguous. */
  readonly success?: ResponseSpec;
  readonly successAmbiguous: boolean;
  /** The status a plain return value is sent with (200 for a `2XX` or `default` success). */
  readonly successStatus: number;

  constructor(readonly responses: ResponseSpec[]) {
    // Earlier declarations win a name; every response keeps its standard status name as well.
    for (const response of responses) for (const name of response.names) if (!this.byName.has(name)) this.byName.set(name, response);
    const successes = responses.filter((r) => /^2/.test(r.key));
    this.successAmbiguous = successes.length > 1;
    this.success = successes.length === 1 ? successes[0] : successes.length === 0 ? responses.find((r) => r.key === 'default') : undefined;
    this.successStatus = this.success ? statusOf(this.success.key, 200) : 200;
  }

  /** The declaration for a status: exact key, then its range (`4XX`), then `default`. */
  forStatus(status: number): ResponseSpec | undefined {
    const exact = String(status);
    const range = `${exact[0]}XX`;
    return (
      this.responses.find((r) => r.key === exact) ??
      this.responses.find((r) => r.key.toUpperCase() === range) ??
      this.responses.find((r) => r.key === 'default')
    );
  }

  /** Builds the `ctx.reply` prototype: one method per name, each creating a Reply and recording it. */
  replyPrototype(): object {
    const proto: Record<string, unknown> = {};
    for (const [name, response] of this.byName) {
      const fallback = response.key === 'default' ? 500 : 200;
      proto[name] = function (this: { record(reply: Reply): Reply }, body?: unknown, options: ReplyOptions = {}) {
        const status = /^\d{3}$/.test(response.key) ? Number(response.key) : options.status ?? statusOf(response.key, fallback);
        return this.record(new Reply(response, status, body, options));
      };
    }
    return proto;
  }
}
