CREATE TABLE `offboarding_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`requested_by` text NOT NULL,
	`conversations_erased` integer DEFAULT 0 NOT NULL,
	`rows_deleted` integer DEFAULT 0 NOT NULL,
	`kv_keys_deleted` integer DEFAULT 0 NOT NULL,
	`tenant_gate_erased` integer DEFAULT false NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`error` text,
	`lease_until` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `offboarding_jobs_tenant_idx` ON `offboarding_jobs` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `offboarding_jobs_status_idx` ON `offboarding_jobs` (`status`);--> statement-breakpoint
ALTER TABLE `dead_letters` ADD `wa_id` text;--> statement-breakpoint
CREATE INDEX `dead_letters_customer_idx` ON `dead_letters` (`tenant_id`,`wa_id`);--> statement-breakpoint
CREATE INDEX `dead_letters_created_idx` ON `dead_letters` (`created_at`);--> statement-breakpoint
ALTER TABLE `failed_messages` ADD `wa_id` text;--> statement-breakpoint
CREATE INDEX `failed_messages_customer_idx` ON `failed_messages` (`tenant_id`,`wa_id`);--> statement-breakpoint
CREATE INDEX `failed_messages_created_idx` ON `failed_messages` (`created_at`);--> statement-breakpoint
CREATE INDEX `audit_log_created_idx` ON `audit_log` (`created_at`);--> statement-breakpoint
CREATE INDEX `conversations_last_message_idx` ON `conversations` (`last_message_at`);--> statement-breakpoint
CREATE INDEX `metrics_hourly_hour_idx` ON `metrics_hourly` (`hour`);