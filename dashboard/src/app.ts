/**
 * The admin dashboard's entry: reads the site's config.json (which bridge to call) and starts the
 * Preact app (ui/app.tsx). A hash-routed single page over the bridge admin API.
 */
import { loadConfig } from './api';
import { start } from './ui/app';

await loadConfig();
start(document.getElementById('app')!);
