// The admin API reference: Swagger UI (self-hosted from swagger-ui-dist, no CDN) over the bridge's
// own OpenAPI document, ${apiBase}/api/openapi.json, apiBase from this site's config.json. "Try it
// out" calls the bridge with the token given to Authorize (a session token or the operator token as
// Bearer, or a tenant API key).
// A file of its own, not an inline script: the site's CSP allows scripts from 'self' only.
/* global SwaggerUIBundle */
(async () => {
  const root = document.getElementById('swagger-ui');
  try {
    const config = await (await fetch('/config.json')).json();
    const apiBase = String(config.apiBase).replace(/\/+$/, '');
    const res = await fetch(`${apiBase}/api/openapi.json`);
    if (!res.ok) throw new Error(`the bridge answered ${res.status}`);
    const spec = await res.json();
    // The document names its server relative to the bridge ("/api"); here that is another origin.
    spec.servers = [{ url: `${apiBase}/api` }];
    SwaggerUIBundle({
      spec,
      dom_id: '#swagger-ui',
      deepLinking: true,
      // No call to validator.swagger.io: the document stays between this page and the bridge.
      validatorUrl: null,
      defaultModelsExpandDepth: 1,
    });
  } catch (err) {
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.textContent = `The API reference could not be loaded from the bridge: ${err instanceof Error ? err.message : err}`;
    root.replaceChildren(p);
  }
})();
