// Calendar days of an organisation's time zone: end dates and auto-start days are days, and a
// license's state follows from which day it is now there (docs/DOMAIN.md, "Days and time zones").
// A day is held as the Date of its 00:00 UTC, as Prisma reads and writes a `@db.Date` column.
import { Prisma } from '@school-licenses/db';
import { addMonths } from '../clock.ts';

export const DEFAULT_TIME_ZONE = 'Europe/Stockholm';

const DAY_MS = 86_400_000;

/** Whether `timeZone` is an IANA zone name Intl knows (e.g. Europe/Stockholm). */
export function isTimeZone(timeZone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();
/** One formatter per zone: building one costs far more than using it. */
function formatIn(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** The wall-clock time in `timeZone` at `moment`, as if it were UTC (milliseconds dropped). */
function wallClock(moment: Date, timeZone: string): number {
  const time = moment.getTime();
  const minute = Math.floor(time / MINUTE_MS) * MINUTE_MS;
  let offset = offsets.get(timeZone);
  if (offset?.minute !== minute) offsets.set(timeZone, (offset = { minute, ms: formattedWallClock(new Date(minute), timeZone) - minute }));
  return Math.floor((time + offset.ms) / 1000) * 1000;
}

const MINUTE_MS = 60_000;
/**
 * Each zone's offset from UTC in the last minute asked about: zones change their offset on whole
 * minutes, so the requests of one minute format no date (formatToParts was the largest part of
 * the days' CPU of a small read; BENCHMARKS.md, "Small reads").
 */
const offsets = new Map<string, { minute: number; ms: number }>();

function formattedWallClock(moment: Date, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatIn(timeZone).formatToParts(moment)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The day it is in `timeZone` at `moment`. */
export function dayAt(moment: Date, timeZone: string): Date {
  const local = wallClock(moment, timeZone);
  return new Date(local - (((local % DAY_MS) + DAY_MS) % DAY_MS));
}

/**
 * The moment `day` begins in `timeZone`: its 00:00 there, found from the zone's offset rather
 * than by adding 24 hours, so it holds across daylight-saving changes. Where a zone skips
 * midnight, the first moment of the day.
 */
export function startOfDay(day: Date, timeZone: string): Date {
  let guess = day.getTime();
  // Two rounds settle the offset; a third covers an offset change between the guesses.
  for (let i = 0; i < 3; i++) {
    const offset = wallClock(new Date(guess), timeZone) - Math.floor(guess / 1000) * 1000;
    guess = day.getTime() - offset;
  }
  // Midnight did not exist (the clock jumped over it): the day begins where the jump lands.
  while (dayAt(new Date(guess), timeZone).getTime() < day.getTime()) guess += 60_000 * 15;
  while (dayAt(new Date(guess - 1), timeZone).getTime() === day.getTime()) guess -= 60_000 * 15;
  return new Date(guess);
}

export function addDays(day: Date, days: number): Date {
  return new Date(day.getTime() + days * DAY_MS);
}

/** Calendar months; a day missing in the target month (31 in June) clamps to its last day. */
export function addMonthsToDay(day: Date, months: number): Date {
  return addMonths(day, months);
}

/** How many days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: Date, to: Date): number {
  return Math.round((to.getTime() - from.getTime()) / DAY_MS);
}

/** The texts of the days formatted lately: an answer's thousand licenses share a few end dates, and toISOString costs a microsecond. */
const dayTexts = new Map<number, string>();
const MAX_DAY_TEXTS = 10_000;

/** "YYYY-MM-DD". */
export function formatDay(day: Date): string {
  const time = day.getTime();
  let text = dayTexts.get(time);
  if (text === undefined) {
    text = day.toISOString().slice(0, 10);
    if (dayTexts.size >= MAX_DAY_TEXTS) dayTexts.clear();
    dayTexts.set(time, text);
  }
  return text;
}

/** A "YYYY-MM-DD" that names a real day, or null. */
export function parseDay(text: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const day = new Date(`${text}T00:00:00.000Z`);
  return Number.isNaN(day.getTime()) || formatDay(day) !== text ? null : day;
}

/** A day as a SQL `date` value: a Date parameter would be compared as a timestamp. */
export function sqlDay(day: Date): Prisma.Sql {
  return Prisma.sql`${formatDay(day)}::date`;
}

/**
 * The time of a request or a transaction for one organisation: the clock's moment, the
 * organisation's zone, and the day it is there. Computed once, so every rule in it sees one day.
 */
export interface LocalTime {
  now: Date;
  timeZone: string;
  today: Date;
}

export function localTime(now: Date, timeZone: string): LocalTime {
  return { now, timeZone, today: dayAt(now, timeZone) };
}
