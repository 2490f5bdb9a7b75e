/** Where the API gets the time. Injected everywhere, so tests can move it months ahead. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until told to move: for tests and for the demo seed. */
export class ManualClock implements Clock {
  #current: Date;

  constructor(start: Date | string) {
    this.#current = new Date(start);
  }

  now(): Date {
    return new Date(this.#current);
  }

  set(moment: Date | string): void {
    this.#current = new Date(moment);
  }

  advanceDays(days: number): void {
    this.#current = new Date(this.#current.getTime() + days * 86_400_000);
  }

  advanceMonths(months: number): void {
    this.#current = addMonths(this.#current, months);
  }
}

/** Calendar months in UTC; a day that does not exist in the target month clamps to its last day. */
export function addMonths(date: Date, months: number): Date {
  const result = new Date(date);
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}
