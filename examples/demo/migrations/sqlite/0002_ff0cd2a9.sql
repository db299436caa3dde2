CREATE INDEX `sessions_absolute_expires_at_idx` ON `sessions` (`absolute_expires_at`);
