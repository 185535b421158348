/** Jest for the real-browser tests (test/browser/, Debian's chromium): `npm run test:browser`. */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/browser'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 60000,
};
