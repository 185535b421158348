// A build's log (streamBuildLog): its phases as server-sent events, and the open stream as the
// simulated builder's clock. Everything the stream knows it reads from the store at every step, so a
// stream on any replica sees what polls and other streams did; every move is a compare-and-set
// (Store.advanceBuild), so several of them never move one build twice for one step, nor back.
//
// The log of a build is a function of its record: one entry per phase reached (`running`, except
// `finished`, which is `completed`), and for a build that failed one more entry, `failed`, after the
// phase it failed in. An event's id is `<start>-<n>`: the build's start time (ms) and the entry's
// position, so a reconnecting client's Last-Event-ID says where to resume, and an id of an earlier
// build of the image (started again since) is told apart.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuildLogEntry, BuildLogEvent } from '../../openapi/api.types';
import { now } from './failures';
import { advanceBuild, BUILD_PHASES, templateForBuild } from './lifecycle';
import type { BuildRecord, BuildState, Store } from './store';

/** How long a build stays in one phase while a stream follows it (ms), unless BUILD_LOG_STEP_MS says otherwise. */
export const DEFAULT_STEP_MS = 500;
/** How long an EventSource waits before it reconnects (the `retry` field of each response's first event). */
export const RECONNECT_MS = 1000;

/** BUILD_LOG_STEP_MS, read per stream (a deployment or a test may change it without a restart). */
export function stepMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.BUILD_LOG_STEP_MS);
  return env.BUILD_LOG_STEP_MS && Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_STEP_MS;
}

/**
 * Moves a running build one phase (the move that reaches `finished` registers its template), unless
 * someone else moved it first; answers the build as it now is. Polls (getBuild) and streams share it.
 */
export async function stepBuild(store: Store, build: BuildRecord): Promise<{ build: BuildRecord; moved: boolean }> {
  const next = advanceBuild(build);
  if (next === build) return { build, moved: false };
  // The template first: if the move then loses, whoever won registers the same template again
  // (harmless), whereas a build marked completed whose template write failed could never retry.
  if (next.status === 'completed') await store.saveTemplate(templateForBuild(next, await store.getTemplate(next.name), now()));
  if (await store.advanceBuild(build, next)) return { build: next, moved: true };
  return { build: (await store.getBuild(build.name)) ?? build, moved: false };
}

interface LogEntry {
  phase: BuildRecord['phase'];
  status: BuildState;
  error?: string;
}

/** The build's log so far (see the top of this file). */
export function logOf(build: BuildRecord): LogEntry[] {
  const reached = BUILD_PHASES.indexOf(build.phase);
  const entries: LogEntry[] = BUILD_PHASES.slice(0, reached + 1).map((phase) => ({ phase, status: phase === 'finished' ? build.status : 'running' }));
  if (build.status === 'failed') {
    const failed: LogEntry = { phase: build.phase, status: 'failed' };
    if (build.error !== undefined) failed.error = build.error;
    // A build that failed while finishing keeps one entry: `finished` carries the failure.
    if (build.phase === 'finished') entries[reached] = failed;
    else entries.push(failed);
  }
  return entries;
}

export function eventId(build: BuildRecord, position: number): string {
  return `${Date.parse(build.startTime)}-${position}`;
}

/**
 * The position in `build`'s log after which a stream resumes: the one Last-Event-ID names when it
 * is an id of this build's log, else -1 (from the start: an id of an earlier build of the image, or
 * one this operation never sent).
 */
export function resumeAfter(lastEventId: string | undefined, build: BuildRecord): number {
  const match = /^(\d{1,15})-(\d)$/.exec(lastEventId ?? '');
  if (!match || Number(match[1]) !== Date.parse(build.startTime)) return -1;
  const position = Number(match[2]);
  return position < logOf(build).length ? position : -1;
}

/** True when nothing after `position` will ever be sent: the build has ended and the client has its final event. */
export function logEnded(build: BuildRecord, position: number): boolean {
  return build.status !== 'running' && position === logOf(build).length - 1;
}

export interface FollowOptions {
  /** The position of the last event the client has (resumeAfter), -1 for none. */
  after: number;
  stepMs: number;
  /** The request's signal (ctx.signal): aborts when the client goes away. */
  signal: AbortSignal;
}

/**
 * The events of `build`'s log after `options.after`, then, while it runs, each new one as the build
 * moves, until its final event. The iterator's `return()` (the server ending the stream: shutdown, a
 * strict item check) stops it at once: a generator waiting on its timer would otherwise see it only
 * at its next `yield`, after one more read of the store and perhaps one more move.
 */
export function followBuild(store: Store, build: BuildRecord, options: FollowOptions): AsyncIterableIterator<BuildLogEvent> {
  const stop = new AbortController();
  const abort = () => stop.abort();
  if (options.signal.aborted) abort();
  else options.signal.addEventListener('abort', abort, { once: true });
  const events = follow(store, build, options, stop.signal);
  const release = <T>(result: T): T => {
    options.signal.removeEventListener('abort', abort);
    return result;
  };
  return {
    next: () => events.next().then((result) => (result.done ? release(result) : result)),
    return: () => {
      abort();
      return events.return().then(release);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function* follow(store: Store, first: BuildRecord, options: FollowOptions, signal: AbortSignal): AsyncGenerator<BuildLogEvent, void> {
  let build = first;
  let sent = options.after;
  /** When this stream last read the build (the next move is a step after it); and when it saw the build change, as text. */
  let seenAt = Date.now();
  let changedAt: string | undefined;
  let retry: number | undefined = RECONNECT_MS;
  for (;;) {
    const log = logOf(build);
    for (let position = sent + 1; position < log.length; position++) {
      // Times this stream knows: the start, and the change it just saw or made; not those of entries passed before.
      const time = position === 0 ? build.startTime : position === log.length - 1 ? changedAt : undefined;
      const event: BuildLogEvent = { event: 'phase', id: eventId(build, position), data: entry(build, log[position], time) };
      if (retry !== undefined) event.retry = retry;
      retry = undefined;
      yield event;
    }
    sent = log.length - 1;
    if (build.status !== 'running') return;

    try {
      await sleep(Math.max(0, seenAt + options.stepMs - Date.now()), undefined, { signal });
    } catch {
      return; // the client went away, or the stream was closed
    }
    const current = await store.getBuild(build.name);
    if (signal.aborted || !current) return;
    const unchanged = current.startTime === build.startTime && current.phase === build.phase && current.status === build.status;
    // Unchanged for a whole step as this stream saw it: move it (a stream that saw the phase later waits longer, and finds it moved).
    const next = unchanged ? (await stepBuild(store, current)).build : current;
    if (signal.aborted) return;
    if (next.startTime !== build.startTime) sent = -1; // started again: follow the new build from its start
    // A whole step from now before the next move, also when this one changed nothing (a move lost to a
    // build that then vanished): never a loop of reads without a pause.
    seenAt = Date.now();
    if (next.startTime !== build.startTime || next.phase !== build.phase || next.status !== build.status) changedAt = new Date(seenAt).toISOString();
    build = next;
  }
}

function entry(build: BuildRecord, log: LogEntry, time: string | undefined): BuildLogEntry {
  const data: BuildLogEntry = { name: build.name, phase: log.phase, status: log.status, 'start-time': build.startTime };
  if (time !== undefined) data.time = time;
  if (log.error !== undefined) data.error = log.error;
  return data;
}
