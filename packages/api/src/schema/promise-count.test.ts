// Which resolvers of one GraphQL request return a promise. An object with one promised field is
// awaited as a whole by the executor, so a promise per license of a page costs the admin view
// about a fifth of its time (see BENCHMARKS.md). Like the statement counts, the number of promises
// must not grow with the page size: a field under a license that turns async fails this file.
//
// The count is taken by wrapping the schema's resolvers for the time of this file (each test file
// runs in its own module graph); every answer still comes from the real resolvers.
import type { GraphQLFieldResolver } from 'graphql';
import { isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid } from '../testing/ids.ts';
import { ADMIN_VIEW } from '../testing/operations.ts';
import { schema } from './index.ts';

/** `Type.field` of each resolver call that returned a promise, in the current request. */
const promised: string[] = [];
const originals: [{ resolve?: GraphQLFieldResolver<unknown, unknown> }, GraphQLFieldResolver<unknown, unknown> | undefined][] = [];

function countPromisedFields() {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve) continue;
      originals.push([field, resolve]);
      field.resolve = (...args) => {
        const result = resolve(...args);
        if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') promised.push(`${type.name}.${field.name}`);
        return result;
      };
    }
  }
}

describe('promises per request', () => {
  let test: TestApi;
  let school: string;
  let admin: string;

  const promisedFields = async (first: number) => {
    promised.length = 0;
    const data = dataOf(await test.request(admin, ADMIN_VIEW, { school, first }));
    return { data, promised: [...promised].sort() };
  };

  beforeAll(async () => {
    countPromisedFields();
    const { test: started, demo } = await startStandardScenario();
    test = started;
    school = gid('School', demo.ids.ekskolan);
    admin = demo.tokens.schoolAdmin;
  });
  afterAll(async () => {
    for (const [field, resolve] of originals) field.resolve = resolve;
    await test.close();
  });

  it('the admin view resolves every field of its licenses and their holders without a promise', async () => {
    const { data, promised: fields } = await promisedFields(50);
    const licenses = data.school.products.flatMap((p: any) => p.licenses.edges.map((e: any) => e.node));
    expect(licenses.length).toBeGreaterThan(10);
    expect(licenses.some((license: any) => license.holder)).toBe(true);
    // The per-product loaders (availability, the page and its count) are the only promises.
    expect(fields.filter((field) => /^(License|User|SchoolProductLicensesConnectionEdge)\./.test(field))).toEqual([]);
  });

  it('returns as many promises for 5 as for 50 licenses per product', async () => {
    const small = await promisedFields(5);
    const large = await promisedFields(50);
    const pageSizes = large.data.school.products.map((p: any) => p.licenses.edges.length);
    expect(Math.max(...pageSizes)).toBeGreaterThan(5);
    expect(small.promised.length).toBeGreaterThan(0);
    expect(large.promised).toEqual(small.promised);
  });
});
