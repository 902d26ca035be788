export function deploymentFailures(target: { bridge: string; dashboard?: string; apiBase: string }): Promise<string[]>;
