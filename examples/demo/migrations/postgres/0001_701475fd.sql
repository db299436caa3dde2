CREATE INDEX "sessions_absolute_expires_at_idx" ON "sessions" USING btree ("absolute_expires_at");
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "handle" varchar(32);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "device" varchar(64);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "device_label" varchar(64);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "network" varchar(64);
