// Small helpers shared by the benchmark scripts: medians, number formatting, machine description.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './proc';

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export const fmt = {
  int: (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—'),
  ratio: (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '—'),
  ms: (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '—'),
  us: (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '—'),
  mb: (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '—'),
};

/** A markdown table (also readable in a terminal). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

function safe(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** A hash of src/ as it is on disk (the working tree may be ahead of the commit). */
function srcHash(): string {
  const hash = createHash('sha1');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else hash.update(name).update(readFileSync(full));
    }
  };
  walk(path.join(ROOT, 'src'));
  return hash.digest('hex').slice(0, 12);
}

export function machine(): Record<string, unknown> {
  const version = (pkg: string) => {
    try {
      return JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    } catch {
      return undefined;
    }
  };
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    wrk: safe('dpkg-query', ['-W', '-f=${Version}', 'wrk']) || 'wrk',
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    git: { commit: safe('git', ['rev-parse', '--short', 'HEAD']), srcModified: safe('git', ['status', '--porcelain', 'src']).length > 0, srcHash: srcHash() },
    versions: Object.fromEntries(['express', 'fastify', 'fastify-openapi-glue', 'openapi-backend', 'express-openapi-validator', 'ajv', 'tsx'].map((p) => [p, version(p)])),
  };
}
