// The records that openapi/api.yaml's examples name, so every example request (Swagger UI's
// "Try it out", a dredd run) answers 2xx against a fresh embedded store.
import type { StoreContents } from './store';

export const EXAMPLE_IMAGE = 'binder-project-example-requirements';
export const EXAMPLE_RUNNING_IMAGE = 'binder-project-example-dockerfile';
export const EXAMPLE_APPLICATION_ID = '0f8b7c3e2a1d4e5f9a6b7c8d9e0f1a2b';

export function exampleContents(): StoreContents {
  return {
    builds: [
      {
        name: EXAMPLE_IMAGE,
        displayName: 'binder-project/example-requirements',
        repository: 'https://github.com/binder-project/example-requirements',
        startTime: '2016-03-01T12:00:00.000Z',
        phase: 'finished',
        status: 'completed',
      },
      {
        // Still building: what GET /builds's example filters (phase building or finished, status
        // running, since 2016-03-01) find, so that Swagger UI's first "Try it out" shows a build.
        name: EXAMPLE_RUNNING_IMAGE,
        displayName: 'binder-project/example-dockerfile',
        repository: 'https://github.com/binder-project/example-dockerfile',
        startTime: '2016-03-02T09:00:00.000Z',
        phase: 'building',
        status: 'running',
      },
    ],
    templates: [
      {
        name: EXAMPLE_IMAGE,
        imageName: EXAMPLE_IMAGE,
        imageSource: `binder/${EXAMPLE_IMAGE}`,
        port: 8888,
        timeCreated: '2016-03-01T12:05:00.000Z',
        timeModified: '2016-03-01T12:05:00.000Z',
      },
    ],
    applications: [
      {
        id: EXAMPLE_APPLICATION_ID,
        templateName: EXAMPLE_IMAGE,
        location: `/user/${EXAMPLE_APPLICATION_ID}`,
        status: 'deployed',
        cullTimeout: 3600,
        deployTime: '2016-03-01T12:10:00.000Z',
      },
    ],
  };
}
