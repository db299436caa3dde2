ALTER TABLE `sessions` ADD `handle` text;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `device` text;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `device_label` text;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `network` text;
