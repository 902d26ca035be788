export const OPERATOR_TOKEN: string;
export function startSandbox(options?: { bridgePort?: number; simPort?: number; dashboardPort?: number; stateDir?: string; quiet?: boolean }): Promise<{
  urls: { bridge: string; sim: string; dashboard: string };
  tenantId: string;
  stop: () => void;
}>;
