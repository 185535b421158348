// `specbind serve`: load the document and handlers, listen, drain on SIGTERM.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createServer } from '../server';
import type { CreateServerOptions, MissingHandlers } from '../core/types';

export const SERVE_HELP = `specbind — serve an OpenAPI document, every operationId routed to a handler

Usage:
  specbind serve [--spec openapi/api.yaml] [--handlers handlers] [--port 3000] [--host 127.0.0.1]
                 [--config file.js] [--mock] [--not-implemented] [--tags a,b] [--verbose]

Options (flags win over environment variables, which win over the config file):
  --spec       the OpenAPI document (env SPECBIND_SPEC; default openapi/api.yaml)
  --handlers   directory of handler modules (env SPECBIND_HANDLERS; default handlers)
  --port       port (env PORT; default 3000)       --host  address (env HOST; default 127.0.0.1)
  --config     a module exporting createServer options (security, models, ...)
  --mock       answer operations that have no handler from the document's examples
  --not-implemented  answer operations that have no handler with 501
  --tags       serve only operations with one of these tags
  --verbose    print stack traces of startup errors
Environment: LOG_LEVEL (info), RESPONSE_VALIDATION (strict | warn | off), NODE_ENV=production hides internals.
`;

function loadConfig(file: string | undefined): Partial<CreateServerOptions> {
  if (!file) return {};
  const loaded = require(path.resolve(file));
  return (loaded && loaded.default) || loaded || {};
}

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      spec: { type: 'string' },
      handlers: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      tags: { type: 'string' },
      mock: { type: 'boolean' },
      'not-implemented': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const config = loadConfig(values.config);
  const missing: MissingHandlers | undefined = values.mock ? 'mock' : values['not-implemented'] ? 'notImplemented' : config.missingHandlers;
  const options: CreateServerOptions = {
    ...config,
    spec: values.spec ?? process.env.SPECBIND_SPEC ?? config.spec ?? 'openapi/api.yaml',
    handlers: values.handlers ?? process.env.SPECBIND_HANDLERS ?? config.handlers ?? 'handlers',
    missingHandlers: missing,
    tags: values.tags ? values.tags.split(',').map((t) => t.trim()).filter(Boolean) : config.tags,
  };
  if (typeof options.handlers === 'string' && values.mock && !values.handlers && !process.env.SPECBIND_HANDLERS && !config.handlers) {
    const fs = await import('node:fs');
    if (!fs.existsSync(options.handlers)) options.handlers = undefined;
  }
  const server = await createServer(options);
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  const listening = await server.listen(port, host);
  for (const op of server.operations) {
    server.log.info({ method: op.method, path: op.path, operationId: op.operationId, handler: op.handlerSource ? path.relative(process.cwd(), op.handlerSource) : '(none)' }, 'route');
  }
  server.log.info({ url: listening.url, docs: `${listening.url}/docs` }, `specbind serving ${server.operations.length} operations at ${listening.url} (docs at /docs)`);
  const stop = (signal: string) => {
    server.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => process.exit(0), 10_000);
    timer.unref();
    listening.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

