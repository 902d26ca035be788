ALTER TABLE `genesys_configs` ADD `previous_secret_enc` text;--> statement-breakpoint
ALTER TABLE `genesys_configs` ADD `previous_secret_until` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `mark_read` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `whatsapp_configs` ADD `messages_per_second` integer DEFAULT 80 NOT NULL;