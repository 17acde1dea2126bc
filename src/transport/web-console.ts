import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import helmet from 'helmet';

/** Where the web console is served. */
export const CONSOLE_PATH = '/ui';

/**
 * What `npm run build` makes of src/ui: dist/ui at the package root, found from this module whether it runs
 * from dist/ (the service) or from src/ (the tests, which therefore serve the console of the last build).
 */
const CONSOLE_FILES = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

/**
 * Serves the web console's static files at /ui, outside Nest's router: public by design, as the pages carry no
 * data (every API call from them sends the user's credentials). A strict Content-Security-Policy (scripts and
 * styles from this origin only, no inline code, no framing) limits what an injected string could ever do.
 */
export function serveConsole(app: NestExpressApplication): void {
  app.use(
    CONSOLE_PATH,
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          connectSrc: ["'self'"],
          imgSrc: ["'self'"],
          baseUri: ["'none'"],
          formAction: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      // Whether a whole domain is HTTPS-only is its operator's decision, not this page's.
      strictTransportSecurity: false,
    }),
    express.static(CONSOLE_FILES, { index: 'index.html', maxAge: 0 }),
  );
}
