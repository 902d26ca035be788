/**
 * The sandbox page: a customer's WhatsApp phone on the left, a Genesys agent desktop on the right.
 * Plain HTML and DOM APIs (no build step); it polls /sim/state and posts actions to /sim/*.
 * Text is always inserted with textContent, never as HTML.
 */
export const SIMULATOR_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WhatsApp ⇄ Genesys sandbox</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: #eef1f4; color: #1f2933; }
  header { padding: 10px 20px; background: #1f2933; color: #fff; display: flex; justify-content: space-between; align-items: center; }
  main { display: grid; grid-template-columns: 380px 1fr; gap: 24px; padding: 20px; }
  .phone { background: #111; border-radius: 36px; padding: 14px; height: 640px; display: flex; flex-direction: column; }
  .screen { background: #efeae2; border-radius: 24px; flex: 1; display: flex; flex-direction: column; overflow: hidden; }
  .wa-top { background: #075e54; color: #fff; padding: 12px 16px; font-weight: 600; }
  .wa-top small { display: block; font-weight: 400; opacity: .8; min-height: 1.2em; }
  .chat { flex: 1; overflow-y: auto; padding: 10px; display: flex; flex-direction: column; gap: 6px; }
  .bubble { max-width: 78%; padding: 6px 9px; border-radius: 8px; box-shadow: 0 1px 1px rgba(0,0,0,.1); word-wrap: break-word; white-space: pre-wrap; }
  .bubble.customer { align-self: flex-end; background: #d9fdd3; }
  .bubble.business { align-self: flex-start; background: #fff; }
  .bubble img { display: block; max-width: 160px; border-radius: 6px; margin-bottom: 4px; }
  .ticks { font-size: 11px; color: #667781; margin-left: 6px; }
  .ticks.read { color: #34b7f1; }
  .wa-buttons button { display: block; width: 100%; margin-top: 4px; border: 0; border-top: 1px solid #e5e5e5; background: #fff; color: #027eb5; padding: 6px; cursor: pointer; }
  .composer { display: flex; gap: 6px; padding: 8px; background: #f0f2f5; }
  .composer input { flex: 1; padding: 8px; border-radius: 18px; border: 1px solid #ccc; }
  /* The desktop panel is .desk, not .agent: .agent is the agent's bubble, which must not take the panel's height. */
  .desk { background: #fff; border-radius: 8px; display: flex; flex-direction: column; height: 668px; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
  .desk h2 { margin: 0; padding: 12px 16px; font-size: 15px; border-bottom: 1px solid #e4e7eb; background: #f7f8fa; }
  .desk .chat { background: #fff; }
  .desk .bubble.customer { align-self: flex-start; background: #f1f3f5; }
  .desk .bubble.agent { align-self: flex-end; background: #dbeafe; }
  .receipt { font-size: 11px; color: #52606d; display: block; text-align: right; }
  .receipt.Failed { color: #c81e1e; }
  .tools { display: flex; flex-wrap: wrap; gap: 6px; padding: 8px; border-top: 1px solid #e4e7eb; }
  .tools input { flex: 1 1 240px; padding: 8px; border: 1px solid #cbd2d9; border-radius: 4px; }
  button.act { padding: 7px 10px; border: 1px solid #cbd2d9; background: #f5f7fa; border-radius: 4px; cursor: pointer; }
  .waiting { padding: 40px; text-align: center; }
</style></head>
<body>
<header><strong>WhatsApp ⇄ Genesys sandbox</strong><span id="status" data-testid="status">connecting…</span></header>
<main>
  <section class="phone" aria-label="Customer phone">
    <div class="screen">
      <div class="wa-top"><span id="business">Business</span><small id="typing" data-testid="phone-typing"></small></div>
      <div class="chat" id="phone-chat" data-testid="phone-chat"></div>
      <div class="composer">
        <input id="phone-input" data-testid="phone-input" placeholder="Message" aria-label="Customer's message" autocomplete="off">
        <button class="act" data-testid="phone-send-image" id="phone-image" title="Send a photo">📷</button>
        <button class="act" data-testid="phone-send" id="phone-send">Send</button>
      </div>
    </div>
  </section>
  <section class="desk" aria-label="Agent desktop">
    <h2>Genesys agent desktop — <span id="customer"></span> <a id="widget-link" data-testid="widget-link" target="_blank" hidden>Open WhatsApp widget</a></h2>
    <div class="chat" id="agent-chat" data-testid="agent-chat"></div>
    <div class="tools">
      <input id="agent-input" data-testid="agent-input" placeholder="Reply to the customer" aria-label="Agent's reply" autocomplete="off">
      <button class="act" data-testid="agent-send" id="agent-send">Send</button>
      <button class="act" data-testid="agent-send-image" id="agent-image">Send image</button>
      <button class="act" data-testid="agent-send-buttons" id="agent-buttons">Send buttons</button>
      <button class="act" data-testid="agent-send-template" id="agent-template">Send template</button>
      <button class="act" data-testid="agent-typing" id="agent-typing">Typing…</button>
    </div>
  </section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const post = (path, body) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
const TICKS = { pending: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠' };

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined) node.setAttribute(k, v);
  for (const child of children || []) if (child) node.append(child);
  return node;
}

function renderPhone(items) {
  const chat = $('phone-chat');
  chat.replaceChildren(...items.map((m) => {
    const kids = [];
    if (m.imageUrl) kids.push(el('img', { src: m.imageUrl, alt: 'photo', 'data-testid': 'phone-image' }));
    if (m.template) kids.push(document.createTextNode(m.template));
    if (m.text) kids.push(document.createTextNode(m.text));
    if (m.from === 'customer') {
      const ticks = el('span', { class: 'ticks ' + (m.ticks || ''), 'data-testid': 'ticks', 'data-ticks': m.ticks }, [document.createTextNode(TICKS[m.ticks] || '')]);
      kids.push(ticks);
    }
    if (m.buttons) {
      kids.push(el('div', { class: 'wa-buttons' }, m.buttons.map((b) => {
        const button = el('button', { 'data-testid': 'wa-button' }, [document.createTextNode(b.title)]);
        button.onclick = () => post('/sim/customer', { kind: 'tap', replyTo: m.id, buttonId: b.id, title: b.title }).then(refresh);
        return button;
      })));
    }
    return el('div', { class: 'bubble ' + m.from, 'data-testid': 'phone-msg', 'data-from': m.from, 'data-template': m.template ? 'yes' : undefined }, kids);
  }));
  chat.scrollTop = chat.scrollHeight;
}

function renderAgent(items) {
  const chat = $('agent-chat');
  chat.replaceChildren(...items.map((m) => {
    const kids = [];
    if (m.imageUrl) kids.push(el('img', { src: m.imageUrl, alt: 'attachment', 'data-testid': 'agent-image' }));
    if (m.text) kids.push(document.createTextNode(m.text));
    if (m.buttonResponse) kids.push(document.createTextNode('🔘 ' + m.buttonResponse));
    if (m.from === 'agent') kids.push(el('span', { class: 'receipt ' + (m.receipt || ''), 'data-testid': 'receipt', 'data-receipt': m.receipt || 'none' }, [document.createTextNode((m.receipt || '…') + (m.reason ? ': ' + m.reason : ''))]));
    return el('div', { class: 'bubble ' + m.from, 'data-testid': 'agent-msg', 'data-from': m.from }, kids);
  }));
  chat.scrollTop = chat.scrollHeight;
}

async function refresh() {
  try {
    const state = await fetch('/sim/state').then((r) => r.json());
    $('status').textContent = state.ready ? 'connected to the bridge' : 'waiting for the demo tenant (npm run dev seeds it)';
    $('business').textContent = state.business;
    $('customer').textContent = state.customer.name + ' (+' + state.customer.waId + ')';
    $('typing').textContent = state.typing ? 'typing…' : '';
    if (state.widgetUrl) { $('widget-link').href = state.widgetUrl; $('widget-link').hidden = false; }
    renderPhone(state.phone);
    renderAgent(state.agent);
  } catch (e) {
    $('status').textContent = 'simulator unreachable';
  }
}

$('phone-send').onclick = () => { const text = $('phone-input').value.trim(); if (!text) return; $('phone-input').value = ''; post('/sim/customer', { kind: 'text', text }).then(refresh); };
$('phone-input').onkeydown = (e) => { if (e.key === 'Enter') $('phone-send').click(); };
$('phone-image').onclick = () => { const text = $('phone-input').value.trim(); $('phone-input').value = ''; post('/sim/customer', { kind: 'image', text }).then(refresh); };
$('agent-send').onclick = () => { const text = $('agent-input').value.trim(); if (!text) return; $('agent-input').value = ''; post('/sim/agent', { kind: 'text', text }).then(refresh); };
$('agent-input').onkeydown = (e) => { if (e.key === 'Enter') $('agent-send').click(); };
// Like Send: what the agent typed goes with the image (its caption) or the buttons (their text), so the input is emptied.
const agentSendsWithText = (kind) => () => { const text = $('agent-input').value.trim(); $('agent-input').value = ''; post('/sim/agent', { kind, text }).then(refresh); };
$('agent-image').onclick = agentSendsWithText('image');
$('agent-buttons').onclick = agentSendsWithText('buttons');
$('agent-template').onclick = () => post('/sim/agent', { kind: 'template' }).then(refresh);
$('agent-typing').onclick = () => post('/sim/agent', { kind: 'typing' });
refresh();
setInterval(refresh, 400);
</script>
</body></html>`;
