// Type-level tests: `tsc` checks this file in the package's typecheck, and each
// `@ts-expect-error` fails it when the line below does compile. The last test proves it from
// inside the test run too, by compiling a file with a wrong variable type.
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { compileStrict } from './tsc.ts';
import {
  AssignLicenseDocument,
  AvailabilityDocument,
  createLicenseClient,
  type AssignLicenseMutationVariables,
  type EndDateCountFieldsFragment,
  type Failure,
  type LicenseClient,
  type Result,
  type AssignLicenseSuccess,
} from '../src/index.ts';

const client: LicenseClient = createLicenseClient({ url: 'http://127.0.0.1:1/graphql', token: 'unused', retry: false });

// Never called: only compiled.
function typeChecks() {
  // @ts-expect-error: `school` takes an ID (string), not a number
  void client.query(AvailabilityDocument, { school: 42, product: 'UHJvZHVjdDox' });
  // @ts-expect-error: `product` is required
  void client.query(AvailabilityDocument, { school: 'U2Nob29sOjE=' });
  // @ts-expect-error: `reuseStarted` is a boolean
  void client.mutate(AssignLicenseDocument, { input: { school: 's', product: 'p', user: 'u', reuseStarted: 'yes' } });
  // @ts-expect-error: the helper's `endDate` is an ISO string, not a Date
  void client.assignLicense({ school: 's', product: 'p', user: 'u', reuseStarted: true, endDate: new Date() });
  // @ts-expect-error: `token` and `getToken` exclude each other
  createLicenseClient({ url: 'x', token: 't', getToken: () => 't' });
  // @ts-expect-error: a token is needed
  createLicenseClient({ url: 'x' });
}
void typeChecks;

describe('the SDK types', () => {
  it('types documents, variables and results', () => {
    expectTypeOf(client.query<unknown, { a: string }>).toBeFunction();
    expectTypeOf<AssignLicenseMutationVariables['input']['reuseStarted']>().toEqualTypeOf<boolean>();
    expectTypeOf(client.assignLicense).returns.resolves.toEqualTypeOf<Result<AssignLicenseSuccess>>();
  });

  it('narrows a failure by its code: only the end-date codes carry end dates', () => {
    const explain = (failure: Failure) => {
      if (failure.code === 'END_DATE_REQUIRED' || failure.code === 'END_DATE_NOT_AVAILABLE') {
        expectTypeOf(failure.availableEndDates).toEqualTypeOf<EndDateCountFieldsFragment[]>();
        return failure.availableEndDates.length;
      }
      // @ts-expect-error: other failures have no end dates
      return failure.availableEndDates;
    };
    expect(explain({ ok: false, code: 'END_DATE_REQUIRED', message: 'm', field: 'endDate', availableEndDates: [] })).toBe(0);
  });

  it('does not compile a document call with a wrong variable type', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/wrong-variable.ts', import.meta.url));
    const output = await compileStrict(fixture);
    const error = output ? { stdout: output } : null;
    expect(error, 'the fixture compiled').not.toBeNull();
    expect(error!.stdout).toMatch(/wrong-variable\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
    expect(
      error!.stdout
        .trim()
        .split('\n')
        .filter((line) => line.includes('error TS')),
    ).toHaveLength(1);
  }, 60_000);
});
