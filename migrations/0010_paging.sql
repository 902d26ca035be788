DROP INDEX `alerts_tenant_idx`;--> statement-breakpoint
CREATE INDEX `alerts_tenant_idx` ON `alerts` (`tenant_id`,`opened_at`,`id`);--> statement-breakpoint
DROP INDEX `audit_log_tenant_idx`;--> statement-breakpoint
CREATE INDEX `audit_log_tenant_idx` ON `audit_log` (`tenant_id`,`created_at`,`id`);--> statement-breakpoint
DROP INDEX `conversations_recent_idx`;--> statement-breakpoint
CREATE INDEX `conversations_recent_idx` ON `conversations` (`tenant_id`,`last_message_at`,`wa_id`);--> statement-breakpoint
DROP INDEX `dead_letters_tenant_idx`;--> statement-breakpoint
CREATE INDEX `dead_letters_tenant_idx` ON `dead_letters` (`tenant_id`,`created_at`,`id`);--> statement-breakpoint
DROP INDEX `failed_messages_tenant_idx`;--> statement-breakpoint
CREATE INDEX `failed_messages_tenant_idx` ON `failed_messages` (`tenant_id`,`created_at`,`id`);