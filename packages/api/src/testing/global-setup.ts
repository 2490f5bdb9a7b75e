// vitest globalSetup of every package whose tests start the API: the blank, migrated and
// `standard` databases every test file copies, built once per run.
import { prepareTestTemplates } from '@school-licenses/db/testing';
import { standardScenario } from './harness.ts';

export default () => prepareTestTemplates([standardScenario]);
