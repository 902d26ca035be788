CREATE TABLE `alert_channels` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`url_enc` text NOT NULL,
	`secret_enc` text NOT NULL,
	`label` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alert_channels_tenant_idx` ON `alert_channels` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `alert_deliveries` (
	`alert_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`notice` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`sent_at` integer,
	PRIMARY KEY(`alert_id`, `channel_id`, `notice`)
);
--> statement-breakpoint
CREATE INDEX `alert_deliveries_tenant_idx` ON `alert_deliveries` (`tenant_id`,`status`);--> statement-breakpoint
CREATE INDEX `alert_deliveries_alert_idx` ON `alert_deliveries` (`alert_id`);--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`type` text NOT NULL,
	`state` text NOT NULL,
	`detail` text NOT NULL,
	`opened_at` integer NOT NULL,
	`resolved_at` integer
);
--> statement-breakpoint
CREATE INDEX `alerts_tenant_idx` ON `alerts` (`tenant_id`,`opened_at`);--> statement-breakpoint
CREATE INDEX `alerts_resolved_idx` ON `alerts` (`resolved_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_open_uq` ON `alerts` (`tenant_id`,`type`) WHERE state = 'open';