// specbind serving the streaming benchmark's document (bench/streams.yaml) at its defaults
// (responseValidation 'strict', metrics on, SSE heartbeat 15 s), except the logger: level info as by
// default, so every request gets its access line (one a download, one a whole event stream), written
// to BENCH_LOG (default /dev/null) instead of stdout, which the runner does not read.
//   BENCH_FILE            the file /file streams (createReadStream)
//   BENCH_LOG             where the log lines go (the runner passes a file, to check that none is an error)
//   BENCH_RESPONSE_VALIDATION=off|warn   the cost of checking every event (the benchmark's "off" variant)
import { createReadStream } from 'node:fs';
import pino from 'pino';
import { createServer } from '../../src';
import { HOST, PORT, ready } from './common';
import { benchFile, events, STREAMS_SPEC } from './streams-common';

async function main() {
  const started = performance.now();
  const file = benchFile();
  const server = await createServer({
    spec: STREAMS_SPEC,
    handlers: {
      download: () => createReadStream(file),
      events: (input: any) => events(input.count),
    },
    responseValidation: process.env.BENCH_RESPONSE_VALIDATION as 'strict' | 'warn' | 'off' | undefined,
    logger: pino({ name: 'specbind', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(process.env.BENCH_LOG ?? '/dev/null')),
  });
  const initMs = performance.now() - started;
  const listening = await server.listen(PORT, HOST);
  ready(listening.server, { initMs });
}
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
