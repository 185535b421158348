// The createServer options the bundled API needs besides spec and handlers:
//   createServer({ spec: 'openapi/api.yaml', handlers: 'handlers', ...config })
import { Person } from './models';
import { check } from './security';

export default {
  security: { apiKey: check },
  models: { Person },
};
