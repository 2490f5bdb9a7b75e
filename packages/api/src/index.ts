export { createApi, type Api, type ApiOptions } from './yoga.ts';
export { schema, printSortedSchema } from './schema/index.ts';
export { ManualClock, systemClock, addMonths, type Clock } from './clock.ts';
export { addDays, dayAt, DEFAULT_TIME_ZONE, formatDay, startOfDay } from './domain/days.ts';
export { createApiKey, hmacKey, signUserToken, type AuthConfig } from './auth/authenticate.ts';
export { DEMO_ROLE_LABELS, demoSession, type DemoSession } from './seed/demo.ts';
export { systemActor } from './domain/actor.ts';
export { filesAt } from './roster/files.ts';
export { importRoster, type RosterImportReport } from './roster/import.ts';
