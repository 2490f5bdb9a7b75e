-- CreateEnum
CREATE TYPE "RosterImportStatus" AS ENUM ('RUNNING', 'COMPLETED');

-- CreateTable
CREATE TABLE "RosterImport" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "format" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "filesHash" TEXT NOT NULL,
    "status" "RosterImportStatus" NOT NULL,
    "appliedChanges" INTEGER NOT NULL DEFAULT 0,
    "summary" JSONB NOT NULL,
    "revokedLicenses" INTEGER NOT NULL DEFAULT 0,
    "actorLabel" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "RosterImport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RosterImport_organisationId_filesHash_status_idx" ON "RosterImport"("organisationId", "filesHash", "status");

-- AddForeignKey
ALTER TABLE "RosterImport" ADD CONSTRAINT "RosterImport_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
