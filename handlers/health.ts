// Binder's health component. All three components share this process and its store, so one probe
// of the store answers for each.
import type { Handlers } from '../openapi/api.types';
import { now, withStore } from './_app/failures';

const COMPONENTS = ['build', 'registry', 'deploy'] as const;

export const getHealth: Handlers['getHealth'] = async (_input, ctx) =>
  withStore(ctx, 'badQuery', async (store) => {
    await store.ping();
    const timestamp = now();
    return COMPONENTS.map((name) => ({ name, timestamp, status: 'running' as const }));
  });
