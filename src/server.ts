#!/usr/bin/env node
// The entry point (`npm start`, the package's bin, the container's CMD): all logic is in cli.ts.
import { main } from './cli.js'

const result = await main(process.argv.slice(2), process.env)
if (typeof result === 'number') process.exitCode = result
