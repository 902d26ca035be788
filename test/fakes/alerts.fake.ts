/**
 * A receiver of alert notices (host `alerts.fake`): records every request and answers 200, or
 * the status the test set for a path. The protocol is ours (README "Alerts"), so there is no
 * vendor contract to check beyond `text`, the field Slack and Teams show.
 */
export interface ReceivedNotice {
  path: string;
  signature: string | null;
  alertId: string | null;
  raw: string;
  body: {
    text: string;
    alert: {
      id: string;
      type: string;
      state: 'firing' | 'resolved';
      tenantId: string;
      tenantName: string;
      detail: string;
      openedAt: string;
      resolvedAt: string | null;
    };
  };
}

export class FakeAlertReceiver {
  readonly received: ReceivedNotice[] = [];
  /** Paths that answer this status instead of 200 (until deleted). */
  readonly failing = new Map<string, number>();

  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const status = this.failing.get(path);
    if (status) return new Response('receiver down', { status });
    const raw = await request.text();
    this.received.push({
      path,
      signature: request.headers.get('x-bridge-signature'),
      alertId: request.headers.get('x-bridge-alert-id'),
      raw,
      body: JSON.parse(raw),
    });
    return new Response('ok', { status: 200 });
  }

  /** The notices a channel (by path) received. */
  at(path: string): ReceivedNotice[] {
    return this.received.filter((n) => n.path === path);
  }
}
