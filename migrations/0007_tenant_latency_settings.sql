ALTER TABLE `tenants` ADD `genesys_receipts` text DEFAULT 'all' NOT NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `inbound_reorder_ms` integer;