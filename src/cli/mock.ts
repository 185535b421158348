// `specbind mock --spec <file>`: serves any document from its examples (or samples of its schemas where
// there are none), every response held to the document by the strict response validator.
import { parseArgs } from 'node:util';
import { basePathOf, createServer } from '../server';

export const MOCK_HELP = `specbind mock — serve an OpenAPI document from its examples, no handlers needed

Usage:
  specbind mock [--spec openapi/api.yaml] [--port 3000] [--host 127.0.0.1] [--tags a,b] [--lazy]

Every operation answers its first 2xx response (else default) with the document's example when it
validates, else a value generated from the schema that does; declared response headers are filled too.
Requests are validated as by a real server (400, 415, 413, ...). Security schemes only ask that a
credential be present. A client may choose: "Prefer: code=404" (a declared response), "Prefer:
example=name" (a named example), and the media type through Accept.

Options:
  --spec   the OpenAPI document (env SPECBIND_SPEC; default openapi/api.yaml)
  --port   port (env PORT; default 3000)       --host  address (env HOST; default 127.0.0.1)
  --tags   serve only operations with one of these tags
  --lazy   compile each operation's validators on its first request (large documents start faster)
Environment: LOG_LEVEL (info).
`;

export async function mock(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      spec: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      tags: { type: 'string' },
      lazy: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(MOCK_HELP);
    return;
  }
  const server = await createServer({
    spec: values.spec ?? process.env.SPECBIND_SPEC ?? 'openapi/api.yaml',
    missingHandlers: 'mock',
    responseValidation: 'strict',
    compile: values.lazy ? 'lazy' : 'eager',
    tags: values.tags ? values.tags.split(',').map((t) => t.trim()).filter(Boolean) : undefined,
  });
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  const listening = await server.listen(port, host);
  const url = listening.url + basePathOf(server.document);
  server.log.info({ url }, `specbind mock serving ${server.operations.length} operations at ${url}`);
  const stop = () => {
    const timer = setTimeout(() => process.exit(0), 5_000);
    timer.unref();
    listening.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
