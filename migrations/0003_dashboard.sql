CREATE TABLE `conversations` (
	`tenant_id` text NOT NULL,
	`wa_id` text NOT NULL,
	`contact_name` text,
	`genesys_conversation_id` text,
	`last_message_at` integer NOT NULL,
	`last_direction` text NOT NULL,
	`last_customer_message_at` integer,
	`messages_in` integer DEFAULT 0 NOT NULL,
	`messages_out` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant_id`, `wa_id`)
);
--> statement-breakpoint
CREATE INDEX `conversations_recent_idx` ON `conversations` (`tenant_id`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `conversations_genesys_idx` ON `conversations` (`tenant_id`,`genesys_conversation_id`);--> statement-breakpoint
CREATE TABLE `metrics_hourly` (
	`tenant_id` text NOT NULL,
	`hour` integer NOT NULL,
	`direction` text NOT NULL,
	`delivered` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`latency_sum_ms` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant_id`, `hour`, `direction`)
);
--> statement-breakpoint
ALTER TABLE `genesys_configs` ADD `org_id` text;