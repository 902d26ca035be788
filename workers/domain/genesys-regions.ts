/**
 * Genesys Cloud regions: the one list the bridge, its admin API and the sandbox use.
 * From the platform SDK's regions (MyPureCloud/platform-client-sdk-javascript, `PureCloudRegionHosts`):
 * each region is a domain; the API is `https://api.{domain}`, login `https://login.{domain}`.
 */
import regions from './genesys-regions.json';

/** Region name → domain; a JSON file so the sandbox scripts (plain Node) read the same list. */
const GENESYS_REGIONS: Readonly<Record<string, string>> = regions;

export const GENESYS_REGION_DOMAINS: readonly string[] = Object.values(GENESYS_REGIONS);

/** Whether `domain` is a Genesys Cloud region domain (e.g. `mypurecloud.ie`, `euw2.pure.cloud`). */
export function isGenesysRegion(domain: string): boolean {
  return GENESYS_REGION_DOMAINS.includes(domain.toLowerCase());
}

/**
 * Host suffixes Genesys serves agent attachments from (`api-downloads.{domain}` and its CDN hosts):
 * every region domain, matched with its subdomains.
 */
export const GENESYS_MEDIA_HOST_SUFFIXES: readonly string[] = GENESYS_REGION_DOMAINS.map((d) => `.${d}`);
