// The DateTime scalar writes each moment as its ISO string itself: left as a Date, JSON.stringify
// would call toJSON on each of the thousands of dates of a large answer (builder.ts).
import type { GraphQLScalarType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from './index.ts';

const DateTime = schema.getType('DateTime') as GraphQLScalarType;

describe('DateTime', () => {
  it('serializes a moment as its ISO string in UTC, whatever form the resolver returned it in', () => {
    expect(DateTime.serialize(new Date('2027-08-31T00:00:00Z'))).toBe('2027-08-31T00:00:00.000Z');
    expect(DateTime.serialize('2027-08-31T02:00:00+02:00')).toBe('2027-08-31T00:00:00.000Z');
    expect(DateTime.serialize(Date.UTC(2027, 7, 31))).toBe('2027-08-31T00:00:00.000Z');
  });

  it('writes every moment right, however many different moments it has written before', () => {
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 25_000; i++) {
      const moment = new Date(start + i * 3_600_000 + (i % 1000));
      expect(DateTime.serialize(moment)).toBe(moment.toISOString());
    }
    expect(DateTime.serialize(new Date(start))).toBe('2026-01-01T00:00:00.000Z');
  });

  it('still refuses what is not a moment, and reads input as graphql-scalars does', () => {
    expect(() => DateTime.serialize(new Date(Number.NaN))).toThrow(/invalid Date/);
    expect(() => DateTime.serialize('next tuesday')).toThrow(/invalid date-time/);
    expect(DateTime.parseValue('2027-08-31T02:00:00+02:00')).toEqual(new Date('2027-08-31T00:00:00Z'));
    expect(() => DateTime.parseValue('2027-13-01T00:00:00Z')).toThrow();
  });
});
