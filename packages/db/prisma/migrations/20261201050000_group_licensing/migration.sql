-- CreateEnum
CREATE TYPE "GroupLicensePolicy" AS ENUM ('REUSABLE_FIRST', 'REUSABLE_WITH_END_DATE', 'NEW_FIRST', 'ONLY_NEW');

-- CreateEnum
CREATE TYPE "LicenseWaitReason" AS ENUM ('NO_LICENSE_AVAILABLE', 'END_DATE_NOT_AVAILABLE');

-- CreateEnum
CREATE TYPE "LicenseWaiterState" AS ENUM ('WAITING', 'SERVED', 'CANCELLED');

-- AlterEnum
ALTER TYPE "AssignmentEndReason" ADD VALUE 'LEFT_GROUP';

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AuditAction" ADD VALUE 'LICENSE_REVOKED_LEFT_GROUP';
ALTER TYPE "AuditAction" ADD VALUE 'GROUP_LICENSE_RULE_CREATED';
ALTER TYPE "AuditAction" ADD VALUE 'GROUP_LICENSE_RULE_ENDED';
ALTER TYPE "AuditAction" ADD VALUE 'WAITING_LIST_JOINED';
ALTER TYPE "AuditAction" ADD VALUE 'WAITING_LIST_SERVED';
ALTER TYPE "AuditAction" ADD VALUE 'WAITING_LIST_CANCELLED';

-- AlterTable
ALTER TABLE "Assignment" ADD COLUMN     "groupLicenseRuleId" UUID;

-- CreateTable
CREATE TABLE "GroupLicenseRule" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "schoolId" UUID NOT NULL,
    "groupId" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "policy" "GroupLicensePolicy" NOT NULL,
    "endDate" DATE,
    "roles" "GroupRole"[],
    "keepOnLeave" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "createdById" UUID,
    "createdByLabel" TEXT NOT NULL,
    "endedAt" TIMESTAMP(3),
    "isActive" BOOLEAN DEFAULT true,

    CONSTRAINT "GroupLicenseRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LicenseWaiter" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "schoolId" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "groupId" UUID NOT NULL,
    "ruleId" UUID,
    "policy" "GroupLicensePolicy" NOT NULL,
    "endDate" DATE,
    "reason" "LicenseWaitReason" NOT NULL,
    "queuedAt" TIMESTAMP(3) NOT NULL,
    "seq" SERIAL NOT NULL,
    "state" "LicenseWaiterState" NOT NULL DEFAULT 'WAITING',
    "endedAt" TIMESTAMP(3),
    "licenseId" UUID,
    "isWaiting" BOOLEAN DEFAULT true,

    CONSTRAINT "LicenseWaiter_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "GroupLicenseRule_schoolId_productId_idx" ON "GroupLicenseRule"("schoolId", "productId");

-- CreateIndex
CREATE UNIQUE INDEX "GroupLicenseRule_groupId_productId_isActive_key" ON "GroupLicenseRule"("groupId", "productId", "isActive");

-- CreateIndex
CREATE INDEX "LicenseWaiter_schoolId_productId_isWaiting_queuedAt_idx" ON "LicenseWaiter"("schoolId", "productId", "isWaiting", "queuedAt");

-- CreateIndex
CREATE INDEX "LicenseWaiter_groupId_idx" ON "LicenseWaiter"("groupId");

-- CreateIndex
CREATE INDEX "LicenseWaiter_userId_idx" ON "LicenseWaiter"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "LicenseWaiter_schoolId_productId_userId_isWaiting_key" ON "LicenseWaiter"("schoolId", "productId", "userId", "isWaiting");

-- AddForeignKey
ALTER TABLE "GroupLicenseRule" ADD CONSTRAINT "GroupLicenseRule_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupLicenseRule" ADD CONSTRAINT "GroupLicenseRule_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LicenseWaiter" ADD CONSTRAINT "LicenseWaiter_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LicenseWaiter" ADD CONSTRAINT "LicenseWaiter_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LicenseWaiter" ADD CONSTRAINT "LicenseWaiter_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LicenseWaiter" ADD CONSTRAINT "LicenseWaiter_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "GroupLicenseRule"("id") ON DELETE SET NULL ON UPDATE CASCADE;
