import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/src/logger.ts';

describe('createLogger', () => {
  it('never writes a token, wherever a log object carries it', () => {
    let out = '';
    const logger = createLogger({ service: 'test' }, 'debug', {
      write: (line: string) => {
        out += line;
      },
    });
    logger.info({ headers: { authorization: 'Bearer secret-1' } }, 'headers');
    logger.info({ req: { headers: { authorization: 'Bearer secret-2' } } }, 'request');
    logger.info({ config: { apiToken: 'secret-3', clusterToken: 'secret-4' } }, 'config');
    logger.info({ apiToken: 'secret-5', clusterToken: 'secret-6', token: 'secret-7' }, 'bare');
    logger.child({ fileId: 'f' }).warn({ upstream: { token: 'secret-8' } }, 'child');
    expect(out.split('\n').filter(Boolean)).toHaveLength(5);
    expect(out).not.toMatch(/secret-\d/);
    expect(out).toContain('[Redacted]');
  });
});
