CREATE INDEX `sessions_absolute_expires_at_idx` ON `sessions` (`absolute_expires_at`);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `handle` varbinary(128);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `device` varbinary(256);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `device_label` varbinary(256);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `network` varbinary(256);
