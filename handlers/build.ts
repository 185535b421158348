// Binder's build component (binder-build's _startBuild, _getBuild, _getAllBuilds).
import { HttpError, type HandlerContext } from '../src';
import { now, withStore } from './_app/failures';
import { advanceBuild, templateForBuild } from './_app/lifecycle';
import { sourceOf } from './_app/sources';
import type { BuildPhase, BuildRecord } from './_app/store';
import { buildView } from './_app/views';

interface StartBuildInput {
  body: { repository: string; force?: boolean };
}

export async function startBuild(input: StartBuildInput, ctx: HandlerContext) {
  const { repository, force } = input.body;
  const source = sourceOf(repository);
  if (!source) throw new HttpError('badRepoSource', `Unsupported repository source: ${repository}`);

  return withStore(ctx, 'badQuery', async (store) => {
    const existing = await store.getBuild(source.name);
    if (existing?.status === 'running' && !force) {
      throw new HttpError('alreadyBuilding', `Already building ${source.name}`);
    }
    const build: BuildRecord = {
      name: source.name,
      displayName: source.displayName,
      repository,
      startTime: now(),
      phase: 'fetching',
      status: 'running',
    };
    await store.saveBuild(build);
    ctx.log.info({ image: build.name, repository }, 'build started');
    return ctx.reply.accepted(buildView(build), { headers: { Location: `/builds/${encodeURIComponent(build.name)}` } });
  });
}

interface GetBuildInput {
  imageName: string;
}

/** Each read is the simulated builder's next step (see handlers/_app/lifecycle.ts). */
export async function getBuild(input: GetBuildInput, ctx: HandlerContext) {
  return withStore(ctx, 'badQuery', async (store) => {
    const build = await store.getBuild(input.imageName);
    if (!build) throw new HttpError('noBuildInfo', `No build information for image "${input.imageName}"`);
    if (build.status !== 'running') return buildView(build);

    const next = advanceBuild(build);
    if (next.status === 'completed') {
      const template = templateForBuild(next, await store.getTemplate(next.name), now());
      await store.saveTemplate(template);
      ctx.log.info({ image: next.name }, 'build completed, template registered');
    }
    await store.saveBuild(next);
    return buildView(next);
  });
}

interface GetAllBuildsInput {
  phase?: BuildPhase[];
}

export async function getAllBuilds(input: GetAllBuildsInput, ctx: HandlerContext) {
  return withStore(ctx, 'badQuery', async (store) => {
    const builds = await store.listBuilds({ phases: input.phase });
    return builds.map(buildView);
  });
}
