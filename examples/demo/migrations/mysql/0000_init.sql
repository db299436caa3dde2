CREATE TABLE `sessions` (
	`id` varchar(64) NOT NULL,
	`successor_id` varchar(64),
	`version` int NOT NULL,
	`data` mediumblob NOT NULL,
	`created_at` bigint NOT NULL,
	`rotated_at` bigint NOT NULL,
	`last_seen_at` bigint NOT NULL,
	`idle_expires_at` bigint NOT NULL,
	`absolute_expires_at` bigint NOT NULL,
	`user_id` varchar(64),
	CONSTRAINT `sessions_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `sessions_successor_id_idx` ON `sessions` (`successor_id`);
--> statement-breakpoint
CREATE INDEX `sessions_idle_expires_at_idx` ON `sessions` (`idle_expires_at`);
--> statement-breakpoint
CREATE INDEX `sessions_user_id_idx` ON `sessions` (`user_id`);
