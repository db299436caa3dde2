CREATE INDEX `sessions_absolute_expires_at_idx` ON `sessions` (`absolute_expires_at`);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `handle` text;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `device` text;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `device_label` text;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `network` text;
