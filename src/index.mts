// specbind's ES module entry (package.json "exports" → "import"): the CommonJS build's exports, so that
// `import { createServer } from 'specbind'` and `require('specbind')` share one copy of every module (an
// HttpError thrown by an ES module handler is the class the server checks for). The values are named
// here, each one found in index.js by Node's CommonJS export detection; a value export added to
// index.ts belongs here too (test/packaging fails until it is). Types come through whole.
export { createServer, basePathOf, bind, streamBody, notImplemented, HttpError, StartupError, PROBLEMS, Reply } from './index.js';
export type * from './index.js';
