-- End dates and the auto-start deadline become calendar days of the organisation's time zone
-- (docs/DOMAIN.md, "Days and time zones"). Every license row is kept; its instants become days:
-- - autoStartOn = the delivery day + 4 months, the rule every new delivery follows;
-- - a started license was usable until its endDate instant E; it is now usable through the day
--   that holds its last usable moment, E - 1 µs: never a moment less than before, and less than a
--   day more (an E at 00:00 in the zone gives the day before, which was the last one it was usable);
-- - a license not started yet holds the end date it gets if it auto-starts: autoStartOn + validity.
-- Stored timestamps are UTC without a zone, hence AT TIME ZONE 'UTC' before the organisation's zone.

-- AlterTable
ALTER TABLE "Organisation" ADD COLUMN     "timeZone" TEXT NOT NULL DEFAULT 'Europe/Stockholm';

-- AlterTable
ALTER TABLE "License" ADD COLUMN     "autoStartOn" DATE,
ADD COLUMN     "endDay" DATE;

UPDATE "License" l
SET "autoStartOn" = (((l."deliveredAt" AT TIME ZONE 'UTC') AT TIME ZONE o."timeZone")::date + interval '4 months')::date
FROM "School" s JOIN "Organisation" o ON o.id = s."organisationId"
WHERE s.id = l."schoolId";

UPDATE "License" l
SET "endDay" = CASE
  WHEN l."startedAt" IS NOT NULL
    THEN (((l."endDate" AT TIME ZONE 'UTC') - interval '1 microsecond') AT TIME ZONE o."timeZone")::date
  ELSE (l."autoStartOn" + make_interval(months => p."validityMonths"))::date
END
FROM "School" s, "Organisation" o, "Product" p
WHERE s.id = l."schoolId" AND o.id = s."organisationId" AND p.id = l."productId";

-- DropIndex
DROP INDEX "License_schoolId_productId_endDate_id_idx";

ALTER TABLE "License" DROP COLUMN "autoStartAt",
DROP COLUMN "endDate";

ALTER TABLE "License" RENAME COLUMN "endDay" TO "endDate";

ALTER TABLE "License" ALTER COLUMN "autoStartOn" SET NOT NULL,
ALTER COLUMN "endDate" SET NOT NULL;

-- CreateIndex
CREATE INDEX "License_schoolId_productId_endDate_id_idx" ON "License"("schoolId", "productId", "endDate", "id");
