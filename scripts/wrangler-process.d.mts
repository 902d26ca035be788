import type { ChildProcess } from 'node:child_process';
export function startWrangler(name: string, args: string[], options?: { quiet?: boolean; cwd?: string }): ChildProcess;
export function waitUntilUp(url: string, timeoutMs?: number): Promise<void>;
