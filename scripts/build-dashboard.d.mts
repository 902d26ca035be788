export interface SiteSettings {
  apiBase: string;
  genesysLoginBase?: string;
  frameAncestors?: string[];
  mediaSources?: string[];
}
export function buildDashboard(options?: { site?: SiteSettings; outDir?: string }): Promise<void>;
export function environmentSite(
  name: string,
  configPath?: string,
): Promise<{ apiBase: string; frameAncestors: string[] }>;
export const SWAGGER_UI_FILES: string[];
