// The ES module side of handler loading (src/handlers/resolve.ts). specbind compiles to CommonJS, and
// TypeScript compiling to CommonJS rewrites `import()` in a .ts file into `require()`, which cannot load
// an ES module. This file is .mts, so tsc emits it as an ES module (dist/src/handlers/import-esm.mjs)
// with its `import()` left as it is; resolve.ts loads it with require(), which loads an ES module
// without top-level await (this one) on Node 20.19+ and 22.12+. Under tsx the .mts source is used.
// No code is made from strings (no `new Function`, no eval): nothing here needs 'unsafe-eval'.

/** `import()` of an absolute file URL: the module's namespace, after its top-level await settled. */
export function importModule(url: string): Promise<Record<string, unknown>> {
  return import(url);
}

/** Registers tsx's ES module hooks in this process, so that import() loads .ts and .mts modules. */
export async function registerTypeScriptHooks(): Promise<void> {
  // Through tsx's ES module API: its CommonJS API resolves its own hook module wrongly on Node 20
  // (module.register with its CommonJS file as parent: .../esm/api/esm/index.mjs, not found).
  // (The specifier is a variable only because tsc's `moduleResolution: node` cannot see tsx's exports map.)
  const api = 'tsx/esm/api';
  const { register } = (await import(api)) as { register: () => unknown };
  register();
}
