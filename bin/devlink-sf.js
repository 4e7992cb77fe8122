#!/usr/bin/env node
'use strict';
// first: the package's own modules are compiled with a V8 code cache (src/cli/compile-cache.ts)
require('../dist/src/cli/compile-cache.js').useCompileCache();
require('../dist/src/cli/process.js').runProcess(process.argv.slice(2));
