export { createApi, type Api, type ApiOptions } from './yoga.ts';
export { schema, printSortedSchema } from './schema/index.ts';
export { ManualClock, systemClock, addMonths, type Clock } from './clock.ts';
export { addDays, dayAt, DEFAULT_TIME_ZONE, formatDay, startOfDay } from './domain/days.ts';
export { createApiKey, hmacKey, signUserToken, type AuthConfig } from './auth/authenticate.ts';
export { DEMO_ROLE_LABELS, demoSession, type DemoSession } from './seed/demo.ts';
export { runSweep } from './domain/sweep.ts';
export { createEventHub, EventRelay, type EventHub } from './events/relay.ts';
export { systemActor } from './domain/actor.ts';
export { filesAt } from './roster/files.ts';
export { readRoster } from './roster/read.ts';
export { importRoster, type RosterImportReport } from './roster/import.ts';
// For the roster benchmark: the heap the command keeps.
export { keepHeapNearLive } from './cli/roster.ts';
// For the roster benchmark's rollover: licenses held before the new school year.
export { assignLicenses } from './domain/assignments.ts';
export { assignLicenseToGroup } from './domain/group-licensing.ts';
export { placeOrder } from './domain/orders.ts';
export { inTransaction } from './domain/transaction.ts';
export { DEFAULT_WEBHOOK_SETTINGS, WebhookWorker, type WebhookSettings } from './events/webhooks.ts';
