-- CreateEnum
CREATE TYPE "GroupKind" AS ENUM ('CLASS', 'TEACHING_GROUP', 'MENTOR_GROUP', 'OTHER');

-- CreateEnum
CREATE TYPE "GroupRole" AS ENUM ('STUDENT', 'TEACHER');

-- AlterEnum
ALTER TYPE "AssignmentEndReason" ADD VALUE 'LEFT_SCHOOL';

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AuditAction" ADD VALUE 'LICENSE_REVOKED_LEFT_SCHOOL';
ALTER TYPE "AuditAction" ADD VALUE 'SCHOOL_CREATED';
ALTER TYPE "AuditAction" ADD VALUE 'SCHOOL_UPDATED';
ALTER TYPE "AuditAction" ADD VALUE 'SCHOOL_ENDED';
ALTER TYPE "AuditAction" ADD VALUE 'USER_CREATED';
ALTER TYPE "AuditAction" ADD VALUE 'USER_UPDATED';
ALTER TYPE "AuditAction" ADD VALUE 'USER_ENDED';
ALTER TYPE "AuditAction" ADD VALUE 'SCHOOL_MEMBERSHIP_STARTED';
ALTER TYPE "AuditAction" ADD VALUE 'SCHOOL_MEMBERSHIP_UPDATED';
ALTER TYPE "AuditAction" ADD VALUE 'SCHOOL_MEMBERSHIP_ENDED';
ALTER TYPE "AuditAction" ADD VALUE 'GROUP_CREATED';
ALTER TYPE "AuditAction" ADD VALUE 'GROUP_UPDATED';
ALTER TYPE "AuditAction" ADD VALUE 'GROUP_ENDED';
ALTER TYPE "AuditAction" ADD VALUE 'GROUP_MEMBERSHIP_STARTED';
ALTER TYPE "AuditAction" ADD VALUE 'GROUP_MEMBERSHIP_UPDATED';
ALTER TYPE "AuditAction" ADD VALUE 'GROUP_MEMBERSHIP_ENDED';
ALTER TYPE "AuditAction" ADD VALUE 'PRODUCT_CREATED';
ALTER TYPE "AuditAction" ADD VALUE 'PRODUCT_UPDATED';
ALTER TYPE "AuditAction" ADD VALUE 'PRODUCT_RETIRED';

-- DropForeignKey
ALTER TABLE "AuditEvent" DROP CONSTRAINT "AuditEvent_organisationId_fkey";

-- DropIndex
DROP INDEX "School_organisationId_idx";

-- DropIndex
DROP INDEX "User_email_key";

-- DropIndex
DROP INDEX "User_organisationId_idx";

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "groupId" UUID,
ADD COLUMN     "productId" UUID,
ADD COLUMN     "supplierId" UUID,
ALTER COLUMN "organisationId" DROP NOT NULL;

-- AlterTable
ALTER TABLE "Product" ADD COLUMN     "description" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "retiredAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "School" ADD COLUMN     "endedAt" TIMESTAMP(3),
ADD COLUMN     "externalId" TEXT,
ADD COLUMN     "schoolUnitCode" TEXT;

-- AlterTable
ALTER TABLE "SchoolMembership" ADD COLUMN     "endedAt" TIMESTAMP(3),
ADD COLUMN     "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- Memberships that existed before started when they were created.
UPDATE "SchoolMembership" SET "startedAt" = "createdAt";

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "endedAt" TIMESTAMP(3),
ADD COLUMN     "externalId" TEXT;

-- CreateTable
CREATE TABLE "Group" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "schoolId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "GroupKind" NOT NULL,
    "schoolYear" INTEGER,
    "externalId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "Group_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GroupMembership" (
    "groupId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "role" "GroupRole" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "GroupMembership_pkey" PRIMARY KEY ("groupId","userId")
);

-- CreateIndex
CREATE INDEX "Group_schoolId_name_idx" ON "Group"("schoolId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Group_organisationId_externalId_key" ON "Group"("organisationId", "externalId");

-- CreateIndex
CREATE INDEX "GroupMembership_userId_idx" ON "GroupMembership"("userId");

-- CreateIndex
CREATE INDEX "AuditEvent_supplierId_createdAt_idx" ON "AuditEvent"("supplierId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "School_organisationId_schoolUnitCode_key" ON "School"("organisationId", "schoolUnitCode");

-- CreateIndex
CREATE UNIQUE INDEX "School_organisationId_externalId_key" ON "School"("organisationId", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "User_organisationId_email_key" ON "User"("organisationId", "email");

-- CreateIndex
CREATE UNIQUE INDEX "User_organisationId_externalId_key" ON "User"("organisationId", "externalId");

-- AddForeignKey
ALTER TABLE "Group" ADD CONSTRAINT "Group_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Group" ADD CONSTRAINT "Group_schoolId_fkey" FOREIGN KEY ("schoolId") REFERENCES "School"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMembership" ADD CONSTRAINT "GroupMembership_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMembership" ADD CONSTRAINT "GroupMembership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE SET NULL ON UPDATE CASCADE;
