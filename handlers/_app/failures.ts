// Binder answered database trouble with named conditions (noDatabase, badQuery, badDatabase); this
// maps a StoreError to the one the operation declares, so handlers read as the happy path.
import { HttpError, type HandlerContext } from '../../src';
import { getStore, StoreError, type Store } from './store';

/** badQuery for build and health operations, badDatabase for registry and deploy (as in Binder). */
export type QueryFailure = 'badQuery' | 'badDatabase';

const DETAIL: Record<QueryFailure | 'noDatabase', string> = {
  noDatabase: 'Binder database not yet initialized',
  badQuery: 'Could not query the Binder database',
  badDatabase: 'Could not read or write the Binder database',
};

/**
 * Runs `work` against the current store. Only StoreErrors are translated: anything else is a bug and
 * goes on to specbind's generic 500, rather than being disguised as a database problem.
 * The cause is logged, never sent: the problem's detail is Binder's fixed message.
 */
export async function withStore<T>(ctx: HandlerContext, failure: QueryFailure, work: (store: Store) => Promise<T>): Promise<T> {
  try {
    return await work(getStore());
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    const condition = error.unavailable ? 'noDatabase' : failure;
    ctx.log.error({ err: error, condition }, 'store failed');
    throw new HttpError(condition, DETAIL[condition], { cause: error });
  }
}

/** The clock every record is stamped with, as the document's date-time strings. */
export function now(): string {
  return new Date().toISOString();
}
