-- CreateEnum
CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('PENDING', 'DELIVERED', 'FAILED');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "NotificationKind" ADD VALUE 'POOL_EXHAUSTED';
ALTER TYPE "NotificationKind" ADD VALUE 'LICENSES_AUTO_STARTING_SOON';
ALTER TYPE "NotificationKind" ADD VALUE 'LICENSES_EXPIRING_SOON';
ALTER TYPE "NotificationKind" ADD VALUE 'WEBHOOK_ENDPOINT_DISABLED';

-- AlterTable
ALTER TABLE "Notification" ADD COLUMN     "dueAt" TIMESTAMP(3),
ADD COLUMN     "productId" UUID,
ADD COLUMN     "schoolId" UUID;

-- CreateTable
CREATE TABLE "Event" (
    "id" UUID NOT NULL,
    "insertOrder" BIGSERIAL NOT NULL,
    "position" BIGINT,
    "kind" TEXT NOT NULL,
    "organisationId" UUID NOT NULL,
    "schoolId" UUID,
    "productId" UUID,
    "supplierId" UUID,
    "licenseId" UUID,
    "userId" UUID,
    "orderId" UUID,
    "actorLabel" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookEndpoint" (
    "id" UUID NOT NULL,
    "organisationId" UUID,
    "supplierId" UUID,
    "createdByUserId" UUID,
    "createdByCredentialId" UUID,
    "url" TEXT NOT NULL,
    "kinds" TEXT[],
    "secret" TEXT NOT NULL,
    "failuresInRow" INTEGER NOT NULL DEFAULT 0,
    "disabledAt" TIMESTAMP(3),
    "disabledReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookEndpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" UUID NOT NULL,
    "endpointId" UUID NOT NULL,
    "eventId" UUID NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3),
    "lastAttemptAt" TIMESTAMP(3),
    "lastStatusCode" INTEGER,
    "lastError" TEXT,
    "deliveredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Event_position_key" ON "Event"("position");

-- CreateIndex
CREATE INDEX "Event_organisationId_position_idx" ON "Event"("organisationId", "position");

-- CreateIndex
CREATE INDEX "Event_supplierId_position_idx" ON "Event"("supplierId", "position");

-- CreateIndex
CREATE INDEX "WebhookEndpoint_organisationId_idx" ON "WebhookEndpoint"("organisationId");

-- CreateIndex
CREATE INDEX "WebhookEndpoint_supplierId_idx" ON "WebhookEndpoint"("supplierId");

-- CreateIndex
CREATE INDEX "WebhookDelivery_status_nextAttemptAt_idx" ON "WebhookDelivery"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "WebhookDelivery_endpointId_createdAt_idx" ON "WebhookDelivery"("endpointId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_endpointId_eventId_key" ON "WebhookDelivery"("endpointId", "eventId");

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_endpointId_fkey" FOREIGN KEY ("endpointId") REFERENCES "WebhookEndpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "Event"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Wake the event relays when events commit: NOTIFY is sent at commit, and never for a rollback.
-- (Written by hand: Prisma's schema does not describe triggers.)
CREATE FUNCTION "notify_event_pending"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('event_pending', '');
  RETURN NULL;
END $$;
CREATE TRIGGER "Event_notify_pending" AFTER INSERT ON "Event"
  FOR EACH STATEMENT EXECUTE FUNCTION "notify_event_pending"();

-- Tell every API instance of a committed notification, for the viewer's subscription.
CREATE FUNCTION "notify_notification_created"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('notification_created', NEW."userId"::text || ':' || NEW.id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER "Notification_notify_created" AFTER INSERT ON "Notification"
  FOR EACH ROW EXECUTE FUNCTION "notify_notification_created"();
