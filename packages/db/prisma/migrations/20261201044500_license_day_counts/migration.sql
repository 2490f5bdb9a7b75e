-- CreateTable
CREATE TABLE "LicenseDayCount" (
    "schoolId" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "endDate" DATE NOT NULL,
    "autoStartOn" DATE NOT NULL,
    "started" BOOLEAN NOT NULL,
    "assigned" BOOLEAN NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "LicenseDayCount_pkey" PRIMARY KEY ("schoolId","productId","endDate","autoStartOn","started","assigned")
);

-- The counts are kept by the database itself, in the statement that changes the licenses, so every
-- way of writing a license (assigning, revoking, delivery, the sweep, roster leavers, moves between
-- schools, imports, and whatever comes next) keeps them right with no code of its own to forget.
-- Statement-level triggers with transition tables: a delivery of 20,000 licenses or a sweep batch
-- writes one upsert per group of days, not one per license. Counter rows are upserted in key order,
-- so two transactions that change the same groups in one statement lock them in the same order.
CREATE FUNCTION license_day_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "LicenseDayCount" AS c ("schoolId", "productId", "endDate", "autoStartOn", "started", "assigned", "count")
    SELECT n."schoolId", n."productId", n."endDate", n."autoStartOn", n."startedAt" IS NOT NULL, n."assignedUserId" IS NOT NULL, count(*)::int
    FROM new_licenses n
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ("schoolId", "productId", "endDate", "autoStartOn", "started", "assigned") DO UPDATE SET "count" = c."count" + EXCLUDED."count";
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "LicenseDayCount" AS c ("schoolId", "productId", "endDate", "autoStartOn", "started", "assigned", "count")
    SELECT o."schoolId", o."productId", o."endDate", o."autoStartOn", o."startedAt" IS NOT NULL, o."assignedUserId" IS NOT NULL, -count(*)::int
    FROM old_licenses o
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ("schoolId", "productId", "endDate", "autoStartOn", "started", "assigned") DO UPDATE SET "count" = c."count" + EXCLUDED."count";
  ELSE
    -- An update that moves no license between groups (most columns) writes no counter.
    INSERT INTO "LicenseDayCount" AS c ("schoolId", "productId", "endDate", "autoStartOn", "started", "assigned", "count")
    SELECT d."schoolId", d."productId", d."endDate", d."autoStartOn", d.started, d.assigned, sum(d.delta)::int
    FROM (
      SELECT n."schoolId", n."productId", n."endDate", n."autoStartOn", n."startedAt" IS NOT NULL AS started, n."assignedUserId" IS NOT NULL AS assigned, 1 AS delta
      FROM new_licenses n
      UNION ALL
      SELECT o."schoolId", o."productId", o."endDate", o."autoStartOn", o."startedAt" IS NOT NULL, o."assignedUserId" IS NOT NULL, -1
      FROM old_licenses o
    ) d
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(d.delta) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ("schoolId", "productId", "endDate", "autoStartOn", "started", "assigned") DO UPDATE SET "count" = c."count" + EXCLUDED."count";
  END IF;
  RETURN NULL;
END
$$;

-- A trigger with transition tables has one event each.
CREATE TRIGGER license_day_counts_insert AFTER INSERT ON "License"
  REFERENCING NEW TABLE AS new_licenses FOR EACH STATEMENT EXECUTE FUNCTION license_day_counts_apply();
CREATE TRIGGER license_day_counts_update AFTER UPDATE ON "License"
  REFERENCING OLD TABLE AS old_licenses NEW TABLE AS new_licenses FOR EACH STATEMENT EXECUTE FUNCTION license_day_counts_apply();
CREATE TRIGGER license_day_counts_delete AFTER DELETE ON "License"
  REFERENCING OLD TABLE AS old_licenses FOR EACH STATEMENT EXECUTE FUNCTION license_day_counts_apply();

-- The licenses there already. CREATE TRIGGER above locked "License" against writes until the
-- migrations' transaction commits, so none slips in between the triggers and this backfill.
INSERT INTO "LicenseDayCount" ("schoolId", "productId", "endDate", "autoStartOn", "started", "assigned", "count")
SELECT "schoolId", "productId", "endDate", "autoStartOn", "startedAt" IS NOT NULL, "assignedUserId" IS NOT NULL, count(*)::int
FROM "License"
GROUP BY 1, 2, 3, 4, 5, 6;

-- assignLicense takes one license of a school's product that nobody holds: the new one closest to
-- its auto-start day, or a reusable one of an end date. These indexes hold only such licenses, so
-- finding one reads a row or two, whatever the licenses the school has of the product (most of
-- them held). Partial indexes, which schema.prisma cannot state: written here only.
CREATE INDEX "License_unassigned_new_idx" ON "License" ("schoolId", "productId", "autoStartOn", id)
  WHERE "assignedUserId" IS NULL AND "startedAt" IS NULL;
CREATE INDEX "License_unassigned_endDate_idx" ON "License" ("schoolId", "productId", "endDate", id)
  WHERE "assignedUserId" IS NULL;
