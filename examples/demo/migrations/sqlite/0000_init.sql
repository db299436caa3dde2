CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`successor_id` text,
	`version` integer NOT NULL,
	`data` blob NOT NULL,
	`created_at` integer NOT NULL,
	`rotated_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`idle_expires_at` integer NOT NULL,
	`absolute_expires_at` integer NOT NULL,
	`user_id` text
);
--> statement-breakpoint
CREATE INDEX `sessions_successor_id_idx` ON `sessions` (`successor_id`);
--> statement-breakpoint
CREATE INDEX `sessions_idle_expires_at_idx` ON `sessions` (`idle_expires_at`);
--> statement-breakpoint
CREATE INDEX `sessions_user_id_idx` ON `sessions` (`user_id`);
