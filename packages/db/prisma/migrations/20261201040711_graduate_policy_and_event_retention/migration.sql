-- CreateEnum
CREATE TYPE "GraduateLicensePolicy" AS ENUM ('REVOKE_TO_POOL', 'KEEP_UNTIL_END_DATE');

-- AlterEnum
ALTER TYPE "AuditAction" ADD VALUE 'ORGANISATION_UPDATED';

-- AlterTable
ALTER TABLE "Organisation" ADD COLUMN     "graduateLicensePolicy" "GraduateLicensePolicy" NOT NULL DEFAULT 'REVOKE_TO_POOL';

-- CreateTable
CREATE TABLE "EventFeedHorizon" (
    "scope" TEXT NOT NULL,
    "prunedThrough" BIGINT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EventFeedHorizon_pkey" PRIMARY KEY ("scope")
);
