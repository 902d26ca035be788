/**
 * Caps webhook bodies at MAX_WEBHOOK_BYTES before they are buffered: Content-Length is checked
 * first, a streamed body is counted as it arrives. Over the cap: 413 payload_too_large.
 */
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { config, type AppEnv } from '../env';
import { AppError } from '../domain/errors';

export const webhookBodyLimit = () =>
  createMiddleware<AppEnv>(async function webhookBodyLimit(c, next) {
    const max = config(c.env).MAX_WEBHOOK_BYTES;
    return bodyLimit({
      maxSize: max,
      onError: () => {
        throw new AppError('payload_too_large', 413, `webhook bodies are limited to ${max} bytes`);
      },
    })(c, next);
  });
