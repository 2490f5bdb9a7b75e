-- CreateEnum
CREATE TYPE "ReservationOutcome" AS ENUM ('ASSIGNED', 'NO_LICENSE_AVAILABLE', 'USER_NOT_IN_SCHOOL', 'USER_ALREADY_HAS_LICENSE');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AuditAction" ADD VALUE 'LICENSE_MOVED_OUT';
ALTER TYPE "AuditAction" ADD VALUE 'LICENSE_MOVED_IN';

-- AlterTable
ALTER TABLE "Order" ADD COLUMN     "renewalOfEndDate" DATE,
ADD COLUMN     "renewalOfGroupId" UUID,
ADD COLUMN     "reservedForGroupId" UUID;

-- CreateTable
CREATE TABLE "OrderReservation" (
    "orderId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "groupId" UUID,
    "position" INTEGER NOT NULL,
    "outcome" "ReservationOutcome",
    "licenseId" UUID,

    CONSTRAINT "OrderReservation_pkey" PRIMARY KEY ("orderId","userId")
);

-- AddForeignKey
ALTER TABLE "OrderReservation" ADD CONSTRAINT "OrderReservation_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrderReservation" ADD CONSTRAINT "OrderReservation_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
