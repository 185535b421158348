// Binder's health component. All three components share this process and its store, so one probe
// of the store answers for each.
import type { HandlerContext } from '../src';
import { now, withStore } from './_app/failures';

const COMPONENTS = ['build', 'registry', 'deploy'] as const;

export async function getHealth(_input: unknown, ctx: HandlerContext) {
  return withStore(ctx, 'badQuery', async (store) => {
    await store.ping();
    const timestamp = now();
    return COMPONENTS.map((name) => ({ name, timestamp, status: 'running' as const }));
  });
}
