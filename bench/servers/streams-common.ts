// What both servers of the streaming benchmark (bench/streams.ts) share: the file they serve
// (BENCH_FILE, written by the runner), and the events they send, from the same async generator.
import * as path from 'node:path';
import { ROOT } from './common';

export const STREAMS_SPEC = path.join(ROOT, 'bench', 'streams.yaml');

/** The file /file serves: written by the runner in a temp dir, deleted after the run. */
export function benchFile(): string {
  const file = process.env.BENCH_FILE;
  if (!file) throw new Error('BENCH_FILE: the file to serve');
  return file;
}

/** One SSE event as a specbind handler gives it: `{ data }`, the data an object the document's schema describes. */
export interface BenchEvent {
  data: { n: number; at: string };
}

/** `count` events, as fast as the consumer pulls them. */
export async function* events(count: number): AsyncGenerator<BenchEvent> {
  for (let n = 0; n < count; n++) yield { data: { n, at: 'text' } };
}

/** The `count` query parameter of the raw server (specbind's is bound and checked from the document). */
export function countOf(url: string): number | undefined {
  const m = /[?&]count=(\d{1,9})(?:&|$)/.exec(url);
  return m ? Number(m[1]) : undefined;
}
