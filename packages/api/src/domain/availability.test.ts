// The availability statement of a school's day is made once and serves every request of that day
// (availabilitySql): each school and each day still gets its own values.
import { describe, expect, it } from 'vitest';
import { availabilitySql } from './availability.ts';
import { formatDay } from './days.ts';

describe('the availability statement of a school on a day', () => {
  const school = '0190a5f2-0000-7000-8000-000000000001';
  const other = '0190a5f2-0000-7000-8000-000000000002';
  const day = new Date('2026-12-02T00:00:00.000Z');
  const next = new Date('2026-12-03T00:00:00.000Z');

  it("carries the school's id and the day it is asked for, whichever was asked before", () => {
    for (const [id, today] of [
      [school, day],
      [other, day],
      [school, next],
      [school, day],
    ] as const) {
      const statement = availabilitySql(id, today);
      expect(statement.values).toContain(id);
      expect(statement.values).not.toContain(id === school ? other : school);
      expect(statement.values).toContain(formatDay(today));
      expect(statement.values).not.toContain(formatDay(today === day ? next : day));
    }
  });

  it('is one text for every school and day', () => {
    expect(availabilitySql(school, day).text).toBe(availabilitySql(other, next).text);
  });
});
