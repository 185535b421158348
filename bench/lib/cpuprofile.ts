// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per function,
// per category (node's http/net internals, GC, specbind's modules, each npm package), and inclusive
// time of specbind's own functions, optionally only for samples inside a time window (the load run,
// not startup). CLI:  npx tsx bench/lib/cpuprofile.ts file.cpuprofile [--top 20] [--requests N]
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './proc';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  name: string;
  where: string;
  category: string;
  ms: number;
  /** Share of the active (non-idle) time in the window. */
  share: number;
  usPerRequest?: number;
}

export interface ProfileSummary {
  file: string;
  windowMs: number;
  activeMs: number;
  idleMs: number;
  requests?: number;
  activeUsPerRequest?: number;
  categories: Entry[];
  self: Entry[];
  /** specbind's own functions (src/), by inclusive time. */
  inclusive: Entry[];
}

/** Servers run from a transpiled copy (bench/lib/build.ts): map its paths back to the repository's. */
function local(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*\/specbind-bench\/build-\d+\//, `${ROOT}/`);
}

function where(frame: CallFrame): string {
  if (!frame.url) return '';
  let url = local(frame.url);
  if (url.startsWith(ROOT)) url = path.relative(ROOT, url);
  url = url.replace(/^.*node_modules\//, '');
  // Lines are those of the executed JavaScript (TypeScript's output keeps them close to the source's).
  if (/^(src|bench)\//.test(url)) url = url.replace(/\.js$/, '.ts');
  return `${url}:${frame.lineNumber + 1}`;
}

export function category(frame: CallFrame): string {
  const { functionName: name, url } = frame;
  if (!url) {
    if (name === '(garbage collector)') return 'GC';
    if (name === '(program)') return 'V8/native (program)';
    if (name === '(idle)') return 'idle';
    return `native: ${name || '(anonymous)'}`;
  }
  if (url.startsWith('node:')) {
    const mod = url.slice(5);
    if (/^(_http|http)/.test(mod) || mod.startsWith('internal/http')) return 'node: http';
    if (/^(net|stream|_stream|internal\/streams|internal\/stream_base_commons|internal\/net)/.test(mod)) return 'node: net/streams';
    if (/^(internal\/process\/task_queues|internal\/timers|timers|internal\/async_hooks|events)/.test(mod)) return 'node: events/ticks/timers';
    if (/^(internal\/url|url|querystring|internal\/querystring)/.test(mod)) return 'node: url';
    if (/crypto/.test(mod)) return 'node: crypto';
    if (/buffer|internal\/util|string_decoder|internal\/encoding/.test(mod)) return 'node: buffer/encoding';
    return `node: ${mod.replace(/^internal\//, '').split('/')[0]}`;
  }
  const file = local(url);
  const nm = file.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = file.slice(nm + 'node_modules/'.length).split('/');
    return `npm: ${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (file.startsWith(path.join(ROOT, 'src') + path.sep)) return `specbind: ${path.relative(path.join(ROOT, 'src'), file).replace(/\.js$/, '.ts')}`;
  if (file.startsWith(path.join(ROOT, 'bench') + path.sep)) return 'bench app';
  return file;
}

export function summarise(file: string, options: { window?: [number, number]; requests?: number; top?: number } = {}): ProfileSummary {
  const profile: Profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\u0000${where(n.callFrame)}`;

  // Sample i lasts until the next one (its duration is the next delta).
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  let [from, to] = options.window ?? [profile.startTime, profile.endTime];
  if (to <= profile.startTime || from >= profile.endTime) [from, to] = [profile.startTime, profile.endTime];
  [from, to] = [Math.max(from, profile.startTime), Math.min(to, profile.endTime)];

  const self = new Map<string, { ms: number; node: ProfileNode }>();
  const inclusive = new Map<string, { ms: number; node: ProfileNode }>();
  const categories = new Map<string, number>();
  let active = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    if (times[i] < from || times[i] > to) continue;
    const ms = ((i + 1 < times.length ? times[i + 1] : profile.endTime) - times[i]) / 1000;
    const node = byId.get(profile.samples[i])!;
    if (node.callFrame.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    active += ms;
    const key = keyOf(node);
    const s = self.get(key) ?? { ms: 0, node };
    s.ms += ms;
    self.set(key, s);
    const cat = category(node.callFrame);
    categories.set(cat, (categories.get(cat) ?? 0) + ms);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (!category(n.callFrame).startsWith('specbind: ')) continue;
      const k = keyOf(n);
      if (seen.has(k)) continue;
      seen.add(k);
      const e = inclusive.get(k) ?? { ms: 0, node: n };
      e.ms += ms;
      inclusive.set(k, e);
    }
  }
  const top = options.top ?? 20;
  const per = (ms: number) => (options.requests ? (ms * 1000) / options.requests : undefined);
  const entry = (ms: number, node: ProfileNode): Entry => ({ name: node.callFrame.functionName || '(anonymous)', where: where(node.callFrame), category: category(node.callFrame), ms, share: ms / active, usPerRequest: per(ms) });
  return {
    file: path.relative(ROOT, file),
    windowMs: (to - from) / 1000,
    activeMs: active,
    idleMs: idle,
    requests: options.requests,
    activeUsPerRequest: per(active),
    categories: [...categories].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, where: '', category: name, ms, share: ms / active, usPerRequest: per(ms) })),
    self: [...self.values()].sort((a, b) => b.ms - a.ms).slice(0, top).map((e) => entry(e.ms, e.node)),
    inclusive: [...inclusive.values()].sort((a, b) => b.ms - a.ms).slice(0, top).map((e) => entry(e.ms, e.node)),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const us = (x: number | undefined) => (x === undefined ? '' : `${x.toFixed(2).padStart(7)} µs/req`);
const ms = (x: number) => `${x.toFixed(1).padStart(7)} ms`;

export function printSummary(s: ProfileSummary, log: (line: string) => void = console.log): void {
  log(`${s.file}: ${s.activeMs.toFixed(0)} ms active of a ${s.windowMs.toFixed(0)} ms window${s.requests ? `, ${s.requests} requests, ${s.activeUsPerRequest!.toFixed(1)} µs active per request` : ''}`);
  log('  by category (self time):');
  const amount = (e: Entry) => (e.usPerRequest === undefined ? ms(e.ms) : us(e.usPerRequest));
  for (const c of s.categories.slice(0, 16)) log(`    ${pct(c.share).padStart(6)} ${amount(c)}  ${c.name}`);
  log(`  top ${s.self.length} functions by self time:`);
  for (const e of s.self) log(`    ${pct(e.share).padStart(6)} ${amount(e)}  ${e.name}  ${e.where}`);
  if (s.inclusive.length) {
    // V8 keeps at most 255 frames of a sample's stack: deep recursion (Ajv compiling a schema graph) loses its callers here.
    log(`  specbind (src/) functions by inclusive time (stacks deeper than V8's 255 sampled frames lose their callers):`);
    for (const e of s.inclusive) log(`    ${pct(e.share).padStart(6)} ${amount(e)}  ${e.name}  ${e.where}`);
  }
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' }, requests: { type: 'string' } } });
  for (const file of positionals) printSummary(summarise(path.resolve(file), { top: values.top ? Number(values.top) : 20, requests: values.requests ? Number(values.requests) : undefined }));
}
