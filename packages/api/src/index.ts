export { createApi, type Api, type ApiOptions } from './yoga.ts';
export { schema, printSortedSchema } from './schema/index.ts';
export { ManualClock, systemClock, addMonths, type Clock } from './clock.ts';
export { createApiKey, hmacKey, signUserToken, type AuthConfig } from './auth/authenticate.ts';
export { DEMO_ROLE_LABELS, demoSession, type DemoSession } from './seed/demo.ts';
export { runSweep } from './domain/sweep.ts';
export { createEventHub, EventRelay, type EventHub } from './events/relay.ts';
