export const OPERATOR_TOKEN: string;
export function startSandbox(options?: {
  bridgePort?: number;
  simPort?: number;
  dashboardPort?: number;
  stateDir?: string;
  quiet?: boolean;
  vars?: Record<string, string>;
}): Promise<{
  urls: { bridge: string; sim: string; dashboard: string };
  tenantId: string;
  stop: () => void;
}>;
