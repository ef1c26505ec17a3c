/**
 * The package's programmatic API: build the app for `inject`-style tests.
 */
export { buildApp, type AppOptions } from './app.js'
export { ControlledClock, type Clock, type ClockMode } from './clock.js'
export { defaultSettings, type Settings } from './config.js'
