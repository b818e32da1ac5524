-- Small images are stored many to one S3 object (an image pack, src/ingest/packs.ts): a row's bytes are
-- s3_key's bytes pack_offset .. pack_offset + bytes - 1. Rows without an offset own their object
-- (the content-addressed images/sha256/... layout of earlier uploads).
ALTER TABLE "images" ADD COLUMN "pack_offset" INTEGER;

-- The collector now asks "does any row still reference this object?", by key.
CREATE INDEX "images_s3_key_idx" ON "images"("s3_key");

-- Leases and collection candidates name the object, not the bytes: a pack holds many sha256s.
ALTER TABLE "blob_leases" RENAME COLUMN "sha256" TO "s3_key";
UPDATE "blob_leases" SET "s3_key" = 'images/sha256/' || substr("s3_key", 1, 2) || '/' || "s3_key";
ALTER TABLE "blob_gc_candidates" RENAME COLUMN "sha256" TO "s3_key";
UPDATE "blob_gc_candidates" SET "s3_key" = 'images/sha256/' || substr("s3_key", 1, 2) || '/' || "s3_key";
