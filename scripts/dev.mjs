// `npm run dev`: the whole product on this machine — bridge, Meta + Genesys simulator, dashboard.
import { startSandbox, OPERATOR_TOKEN } from '../sandbox/sandbox.mjs';

const sandbox = await startSandbox();
const { bridge, sim, dashboard } = sandbox.urls;
console.log(`
  ┌──────────────────────────────────────────────────────────────────────┐
    Sandbox ready (demo tenant ${sandbox.tenantId})
    Simulator (customer phone + agent desktop): ${sim}
    Admin dashboard:                            ${dashboard}  (operator token: ${OPERATOR_TOKEN})
    Bridge:                                     ${bridge}  (API docs: ${bridge}/api/docs)
  └──────────────────────────────────────────────────────────────────────┘
`);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    sandbox.stop();
    process.exit(0);
  });
