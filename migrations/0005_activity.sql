CREATE TABLE `erased_customers` (
	`tenant_id` text NOT NULL,
	`wa_id_hash` text NOT NULL,
	`erased_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `wa_id_hash`)
);
--> statement-breakpoint
CREATE INDEX `erased_customers_at_idx` ON `erased_customers` (`erased_at`);--> statement-breakpoint
CREATE TABLE `metrics_latency` (
	`tenant_id` text NOT NULL,
	`hour` integer NOT NULL,
	`direction` text NOT NULL,
	`le_ms` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant_id`, `hour`, `direction`, `le_ms`)
);
--> statement-breakpoint
CREATE INDEX `metrics_latency_hour_idx` ON `metrics_latency` (`hour`);--> statement-breakpoint
ALTER TABLE `conversations` ADD `backlog_in` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `conversations` ADD `backlog_in_oldest_at` integer;--> statement-breakpoint
ALTER TABLE `conversations` ADD `backlog_out` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `conversations` ADD `backlog_out_oldest_at` integer;--> statement-breakpoint
ALTER TABLE `conversations` ADD `backlog_at` integer DEFAULT 0 NOT NULL;