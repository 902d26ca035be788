/**
 * The benchmark's baseline: the least a webhook receiver on Workers can do — verify Meta's
 * X-Hub-Signature-256 over the raw body and enqueue it, then answer 200. The bridge's overhead is
 * measured against this, in the same run, on the same machine.
 */
interface Env {
  QUEUE: Queue<string>;
  APP_SECRET: string;
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export default {
  async fetch(request, env) {
    const signature = request.headers.get('x-hub-signature-256')?.slice(7) ?? '';
    const raw = await request.arrayBuffer();
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(env.APP_SECRET),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    if (signature.length !== 64 || !(await crypto.subtle.verify('HMAC', key, fromHex(signature), raw)))
      return new Response('forbidden', { status: 401 });
    await env.QUEUE.send(new TextDecoder().decode(raw));
    return new Response('ok');
  },
  async queue(batch) {
    batch.ackAll();
  },
} satisfies ExportedHandler<Env, string>;
