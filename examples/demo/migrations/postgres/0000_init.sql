CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"successor_id" text,
	"version" integer NOT NULL,
	"data" "bytea" NOT NULL,
	"created_at" bigint NOT NULL,
	"rotated_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"idle_expires_at" bigint NOT NULL,
	"absolute_expires_at" bigint NOT NULL,
	"user_id" varchar(64)
);
--> statement-breakpoint
CREATE INDEX "sessions_successor_id_idx" ON "sessions" USING btree ("successor_id");
--> statement-breakpoint
CREATE INDEX "sessions_idle_expires_at_idx" ON "sessions" USING btree ("idle_expires_at");
--> statement-breakpoint
CREATE INDEX "sessions_user_id_idx" ON "sessions" USING btree ("user_id");
