'use strict';
// Tests are compiled by `npm run build` into dist/ and run from there.
module.exports = {
  require: ['dist/test/support/root-hooks.js'],
  forbidOnly: Boolean(process.env.CI),
  timeout: 120000,
  slow: 2000,
  reporter: 'spec',
  recursive: true,
};
