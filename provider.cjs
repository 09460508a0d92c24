// The Pulumi plugin's entry (package.json `main`), plain CommonJS: the Node language host's run-plugin `require`s this
// folder after registering ts-node with the compiler options of the consumer's folder (not this repository's), so it
// does not run our TypeScript. tsx does, as for Pulumi.yaml's program (`--import tsx`): register tsx's CommonJS hook
// here, then start the provider (programs/provider.ts).
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry has only require() */
"use strict";
require("tsx/cjs/api").register();
module.exports = require("./programs/provider.ts").serveComponents();
