-- DropIndex
DROP INDEX "License_schoolId_productId_endDate_idx";

-- CreateIndex
CREATE INDEX "License_schoolId_productId_endDate_id_idx" ON "License"("schoolId", "productId", "endDate", "id");
