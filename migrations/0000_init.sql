CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`queue` text NOT NULL,
	`external_id` text,
	`error_code` text NOT NULL,
	`error_detail` text NOT NULL,
	`attempts` integer NOT NULL,
	`payload` text NOT NULL,
	`replayed_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dead_letters_tenant_idx` ON `dead_letters` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `failed_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`direction` text NOT NULL,
	`external_id` text,
	`code` text NOT NULL,
	`detail` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `failed_messages_tenant_idx` ON `failed_messages` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `genesys_configs` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`region` text NOT NULL,
	`client_id` text NOT NULL,
	`client_secret_enc` text NOT NULL,
	`integration_id` text NOT NULL,
	`outbound_webhook_secret_enc` text NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenants_slug_uq` ON `tenants` (`slug`);--> statement-breakpoint
CREATE TABLE `whatsapp_configs` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`phone_number_id` text NOT NULL,
	`waba_id` text NOT NULL,
	`access_token_enc` text NOT NULL,
	`app_secret_enc` text NOT NULL,
	`verify_token_enc` text NOT NULL,
	`verify_token_hash` text NOT NULL,
	`credential_status` text DEFAULT 'ok' NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `whatsapp_phone_number_uq` ON `whatsapp_configs` (`phone_number_id`);--> statement-breakpoint
CREATE INDEX `whatsapp_verify_hash_idx` ON `whatsapp_configs` (`verify_token_hash`);