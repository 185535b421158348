// The GC histogram of the process metrics: left out by default, added with `gcDuration: true`. Its own
// file: process metrics are per process, and jest gives each file a fresh module registry, so no server
// of another test has turned it on here.
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { start } from '../helpers/server';

const SPEC = {
  openapi: '3.0.3',
  info: { title: 'GC metrics', version: '1.0.0' },
  paths: { '/ping': { get: { operationId: 'ping', responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'string' } } } } } } } },
};

/**
 * Short-lived garbage until V8 has run a scavenge (seen by an observer of this test's own), then a
 * pause: node reports collections to observers on a later turn. The objects escape into a ring, so an
 * optimizing compiler cannot leave them unallocated. A fixed amount is not enough: Node 24's V8 grows
 * the young generation to 64 MiB a semi-space in a process that has been busy (a jest worker after
 * other files), and 400,000 small objects then fit in it without a scavenge.
 */
async function collectGarbage(): Promise<void> {
  let scavenges = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    const ring: unknown[] = new Array(1024);
    for (let round = 0; round < 100 && scavenges === 0; round++) {
      for (let i = 0; i < 400_000; i++) ring[i & 1023] = { i, text: `${i}` };
      expect(ring).toHaveLength(1024);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(scavenges).toBeGreaterThan(0);
  } finally {
    observer.disconnect();
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('metrics: { gcDuration }', () => {
  it('leaves out nodejs_gc_duration_seconds by default, keeping the other process metrics, even after collections', async () => {
    const api = await start({ spec: SPEC, handlers: { ping: () => 'pong' } });
    try {
      await collectGarbage();
      const text = (await api.request('GET', '/metrics')).text;
      expect(text).not.toContain('nodejs_gc_duration_seconds');
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    } finally {
      await api.close();
    }
  });

  it('leaves it out with gcDuration: false too', async () => {
    const api = await start({ spec: SPEC, handlers: { ping: () => 'pong' }, metrics: { gcDuration: false } });
    try {
      await collectGarbage();
      const text = (await api.request('GET', '/metrics')).text;
      expect(text).not.toContain('nodejs_gc_duration_seconds');
      expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    } finally {
      await api.close();
    }
  });

  it('adds it when a later server of the process asks for it with gcDuration: true, and counts real collections', async () => {
    const api = await start({ spec: SPEC, handlers: { ping: () => 'pong' }, metrics: { gcDuration: true } });
    try {
      await collectGarbage();
      const text = (await api.request('GET', '/metrics')).text;
      expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
      expect(text).toMatch(/^nodejs_gc_duration_seconds_count\{kind="minor"\} [1-9]/m);
    } finally {
      await api.close();
    }
  });
});
