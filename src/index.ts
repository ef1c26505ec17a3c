/**
 * The package's programmatic API: start a mock server inside a test and drive it through the
 * control API, or build the app for `inject`-style tests.
 */
export { buildApp, type AppOptions } from './app.js'
export { ControlledClock, type Clock, type ClockMode } from './clock.js'
export { defaultSettings, type Settings } from './config.js'
export { AdminClient, AdminError, ClientReportError, startMockServer, type AdminClientOptions, type FaultSpec, type MockServer, type MockServerOptions, type OrgSpec, type ReportFilter } from './embed.js'
export type { ErrorBody, ErrorCode } from './errors.js'
export type { Fault } from './faults.js'
export type { JournalEntry } from './journal.js'
export type { DeriveContext, Derived, Envelope, Operation, OperationRequest } from './operations/operation.js'
export type { CustomOperationSpec, NextOverride, OperationSettings, OperationView } from './operations/registry.js'
export type { InvoiceOutcome } from './operations/einvoice-generation.js'
export type { ItemError, ItemErrorCode } from './operations/item-errors.js'
export { irnOf, financialYear } from './irn.js'
export type { HandleType, LoginData, UserSpec, UserView } from './users.js'
export { RULES, type Finding, type Report, type Rule, type TaskReport } from './report.js'
export type { ScenarioView } from './scenarios.js'
export type { ClockView, TaskView } from './views.js'
export type { TaskSpec } from './task-spec.js'
export type { TaskStatus } from './task.js'
