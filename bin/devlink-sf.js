#!/usr/bin/env node
'use strict';
require('../dist/src/cli/process.js').runProcess(process.argv.slice(2));
