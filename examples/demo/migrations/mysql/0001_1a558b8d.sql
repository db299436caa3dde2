ALTER TABLE `sessions` MODIFY COLUMN `user_id` varbinary(256);
