/**
 * Genesys Cloud regions: the one list the bridge, its admin API and the sandbox use.
 * From the platform SDK's regions (MyPureCloud/platform-client-sdk-javascript, `PureCloudRegionHosts`):
 * each region is a domain; the API is `https://api.{domain}`, login `https://login.{domain}`.
 */

export const GENESYS_REGIONS = {
  us_east_1: 'mypurecloud.com',
  eu_west_1: 'mypurecloud.ie',
  ap_southeast_2: 'mypurecloud.com.au',
  ap_northeast_1: 'mypurecloud.jp',
  eu_central_1: 'mypurecloud.de',
  us_west_2: 'usw2.pure.cloud',
  ca_central_1: 'cac1.pure.cloud',
  ap_northeast_2: 'apne2.pure.cloud',
  eu_west_2: 'euw2.pure.cloud',
  ap_south_1: 'aps1.pure.cloud',
  us_east_2: 'use2.us-gov-pure.cloud',
  sa_east_1: 'sae1.pure.cloud',
  me_central_1: 'mec1.pure.cloud',
  ap_northeast_3: 'apne3.pure.cloud',
  eu_central_2: 'euc2.pure.cloud',
  mx_central_1: 'mxc1.pure.cloud',
  ap_southeast_1: 'apse1.pure.cloud',
  eusc_de_east_1: 'edee1.eusc-pure.cloud',
} as const;

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
