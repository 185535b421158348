// The simulated builder and deployer. Nothing is built or deployed: a record moves one step each
// time a client polls it, so tests and "Try it out" reach every state without clocks or timers. (An
// open build log moves its build too, on a timer of its own: build-log.ts.)
import type { ApplicationRecord, BuildPhase, BuildRecord, TemplateRecord } from './store';

export const BUILD_PHASES: readonly BuildPhase[] = ['fetching', 'building', 'registering', 'finished'];

/** A running build's next phase; reaching `finished` completes it. Builds that are not running stay. */
export function advanceBuild(build: BuildRecord): BuildRecord {
  if (build.status !== 'running') return build;
  const phase = BUILD_PHASES[Math.min(BUILD_PHASES.indexOf(build.phase) + 1, BUILD_PHASES.length - 1)];
  return { ...build, phase, status: phase === 'finished' ? 'completed' : 'running' };
}

/**
 * The template a completed build registers, as binder-build's last step did: named after the image,
 * replacing any earlier one but keeping when it was first created.
 */
export function templateForBuild(build: BuildRecord, existing: TemplateRecord | undefined, now: string): TemplateRecord {
  return {
    name: build.name,
    imageName: build.name,
    imageSource: `binder/${build.name}`,
    port: 8888,
    timeCreated: existing?.timeCreated ?? now,
    timeModified: now,
  };
}

/** pending → deploying → deployed; `deployTime` is stamped on arrival. */
export function advanceApplication(app: ApplicationRecord, now: string): ApplicationRecord {
  if (app.status === 'pending') return { ...app, status: 'deploying' };
  if (app.status === 'deploying') return { ...app, status: 'deployed', deployTime: now };
  return app;
}
