// Jest's node environment, plus the real PGlite class as `globalThis.PGliteOutsideJest`. PGlite's
// WebAssembly loader calls dynamic import(), which Jest's vm sandbox cannot run without
// --experimental-vm-modules; loaded here, by Node's own require, it runs as it does in `npm start`.
// Test files that need PGlite say so in their first comment:  @jest-environment ./test/store/pglite-environment.js
const { TestEnvironment } = require('jest-environment-node');

module.exports = class PgliteEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.PGliteOutsideJest = require('@electric-sql/pglite').PGlite;
  }
};
