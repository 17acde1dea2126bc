import { routeTemplate, type Middleware } from '../request-context.js';
import type { Metrics } from './metrics.js';

const INTERNAL_ERROR = 500;

/**
 * Times every request, labelled by route template once it has ended (Express sets the route while routing).
 * Mounted before everything else, so requests refused by the body parser or matching no route count too.
 */
export function httpMetrics(metrics: Metrics): Middleware {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = routeTemplate(req);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequestDuration.observe(
        { route, method: req.method, status_code: res.statusCode },
        seconds,
      );
      // Every failure a client or a dependency can cause has its own 4xx or 503 answer: a 500 is an
      // unexpected throw, and the store's raw errors are the only ones the service expects to meet.
      if (res.statusCode === INTERNAL_ERROR) metrics.storeErrors.inc({ route });
    });
    next();
  };
}
