import type { D1Migration } from 'cloudflare:test';
import type { Env as BridgeEnv } from '../workers/env';

declare global {
  namespace Cloudflare {
    interface Env extends BridgeEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
    interface GlobalProps {
      mainModule: typeof import('../workers/index');
      durableNamespaces: 'ConversationDO' | 'TenantGateDO' | 'AuthGuardDO';
    }
  }
}
