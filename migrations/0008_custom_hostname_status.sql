CREATE TABLE `custom_hostname_deletions` (
	`cf_id` text PRIMARY KEY NOT NULL,
	`hostname` text NOT NULL,
	`requested_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text
);
--> statement-breakpoint
ALTER TABLE `custom_hostnames` ADD `cf_id` text;--> statement-breakpoint
ALTER TABLE `custom_hostnames` ADD `status` text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE `custom_hostnames` ADD `ssl_status` text;--> statement-breakpoint
ALTER TABLE `custom_hostnames` ADD `verification` text;--> statement-breakpoint
ALTER TABLE `custom_hostnames` ADD `checked_at` integer;--> statement-breakpoint
ALTER TABLE `custom_hostnames` ADD `error` text;--> statement-breakpoint
CREATE INDEX `custom_hostnames_status_idx` ON `custom_hostnames` (`status`);