// `specbind types`: the document's TypeScript types (inputs, replies, schemas) for typed handlers.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { StartupError } from '../errors';
import type { CreateServerOptions } from '../core/types';
import { DEFAULT_TYPES_FILE, writeTypes } from '../codegen';

export const TYPES_HELP = `specbind types — generate TypeScript types for typed handlers

Usage:
  specbind types [--spec openapi/api.yaml] [--out ${DEFAULT_TYPES_FILE}] [--config file]
                 [--models-module file] [--runtime-module specbind] [--no-comments] [--check]

Options:
  --spec            the OpenAPI document (env SPECBIND_SPEC; default openapi/api.yaml)
  --out             the module to write (default ${DEFAULT_TYPES_FILE}); written only when it changes
  --config          the module \`serve --config\` takes: its \`models\` type request bodies as the classes
  --models-module   the module exporting the model classes (default: the one the config imports them from;
                    also \`modelsModule\` in the config)
  --runtime-module  where to import specbind's types from (default \`specbind\`)
  --no-comments     leave out the document's descriptions
  --check           write nothing; exit 1 when the file is missing or out of date

Then type a handler module with the generated types:
  import type { Handlers } from '../openapi/api.types';
  export const getBuild: Handlers['getBuild'] = async (input, ctx) => { ... };
`;

/** Loads a config module; a .ts one needs a TypeScript loader, registered here (tsx) when none is. */
export function loadConfigModule(file: string): Partial<CreateServerOptions> & { modelsModule?: string | Record<string, string> } {
  const resolved = path.resolve(file);
  if (/\.[cm]?ts$/.test(resolved) && !require.extensions['.ts']) {
    try {
      require('tsx/cjs/api').register();
    } catch {
      throw new StartupError(`Cannot load ${file}: a TypeScript config needs a loader`, [{ message: 'tsx is not installed', fix: 'run through tsx (npx tsx …) or pass the compiled .js config' }]);
    }
  }
  const loaded = require(resolved);
  return (loaded && loaded.default) || loaded || {};
}

export async function types(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      spec: { type: 'string' },
      out: { type: 'string' },
      config: { type: 'string' },
      'models-module': { type: 'string' },
      'runtime-module': { type: 'string' },
      'no-comments': { type: 'boolean' },
      check: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(TYPES_HELP);
    return;
  }
  const config = values.config ? loadConfigModule(values.config) : {};
  const configDir = values.config ? path.dirname(path.resolve(values.config)) : process.cwd();
  // A modelsModule in the config is relative to the config file.
  const fromConfig = config.modelsModule;
  const modelsModule =
    values['models-module'] ??
    (typeof fromConfig === 'string'
      ? path.resolve(configDir, fromConfig)
      : fromConfig && Object.fromEntries(Object.entries(fromConfig).map(([schema, file]) => [schema, path.resolve(configDir, file)])));
  const spec = values.spec ?? process.env.SPECBIND_SPEC ?? (typeof config.spec === 'string' ? config.spec : undefined) ?? 'openapi/api.yaml';
  const out = values.out ?? DEFAULT_TYPES_FILE;
  const command = ['npx specbind types', `--spec ${spec}`, `--out ${out}`, values.config && `--config ${values.config}`, values['models-module'] && `--models-module ${values['models-module']}`]
    .filter(Boolean)
    .join(' ');
  const result = await writeTypes({
    spec,
    out,
    models: config.models,
    modelsModule,
    runtimeModule: values['runtime-module'],
    comments: !values['no-comments'],
    command,
    check: values.check,
  });
  const shown = path.relative(process.cwd(), result.out) || result.out;
  if (values.check) {
    if (result.changed) {
      process.stderr.write(`specbind: ${shown} is out of date with ${spec}; run: ${command}\n`);
      process.exitCode = 1;
    } else process.stdout.write(`specbind: ${shown} is up to date\n`);
    return;
  }
  process.stdout.write(`specbind: ${result.changed ? 'wrote' : 'unchanged'} ${shown} (${result.operations} operations)\n`);
}
