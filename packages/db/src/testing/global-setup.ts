// vitest globalSetup: the blank and migrated databases every test file copies, built once per run.
import { prepareTestTemplates } from './test-database.ts';

export default () => prepareTestTemplates();
