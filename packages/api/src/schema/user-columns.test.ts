// A license's holder read with a page of licenses has only the User columns its selection needs
// (license-pages.ts): each field of User must say which columns it reads, or it would get none.
import { Prisma } from '@school-licenses/db';
import { isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from './index.ts';
import { USER_FIELD_COLUMNS, userColumnsOf } from './user.ts';

describe('the User columns of each User field', () => {
  it('names every field of User, with columns of the User table', () => {
    const user = schema.getType('User');
    if (!isObjectType(user)) throw new Error('User is not an object type');
    expect(Object.keys(USER_FIELD_COLUMNS).sort()).toEqual(Object.keys(user.getFields()).sort());
    const columns: string[] = Object.values(Prisma.UserScalarFieldEnum);
    for (const read of Object.values(USER_FIELD_COLUMNS)) for (const column of read) expect(columns).toContain(column);
  });

  it('reads the id always, and every column for a field it does not know', () => {
    expect(userColumnsOf(['name', '__typename'])).toEqual(['id', 'name']);
    expect(userColumnsOf(['memberships'])).toEqual(['id']);
    expect(userColumnsOf(['name', 'somethingNew']).sort()).toEqual(Object.values(Prisma.UserScalarFieldEnum).sort());
  });
});
