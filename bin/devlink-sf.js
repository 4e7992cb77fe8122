#!/usr/bin/env node
'use strict';
const { main } = require('../dist/src/cli/main.js');
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`devlink-sf: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);
