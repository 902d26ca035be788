import type { SiteSettings } from './build-dashboard.mjs';
export const GENESYS_DOMAINS: string[];
export const GENESYS_APP_ORIGINS: string[];
export interface ResolvedSiteSettings {
  apiBase: string;
  genesysLoginBase?: string;
  frameAncestors: string[];
  mediaSources: string[];
}
export function siteSettings(site: SiteSettings): ResolvedSiteSettings;
export function siteConfig(settings: ResolvedSiteSettings): string;
export function adminPolicy(settings: ResolvedSiteSettings): string;
export function apiDocsPolicy(settings: ResolvedSiteSettings): string;
export function widgetPolicy(settings: ResolvedSiteSettings): string;
export function siteHeaders(settings: ResolvedSiteSettings): string;
