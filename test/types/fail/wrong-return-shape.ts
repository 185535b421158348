// Must not compile: a plain return value that is not the operation's 2xx body.
import type { Build, Context, Handlers, Input, Result } from '../../../openapi/api.types';

declare const build: Build;

// expect-error: TS2322 missing the following properties from type 'Build': "display-name", repository
export const getBuild: Handlers['getBuild'] = async (input) => ({ name: input.imageName });

// expect-error: TS2322 '"nope"' is not assignable to type 'BuildPhase'
export const startBuild: Handlers['startBuild'] = async () => ({ ...build, phase: 'nope' as const });

// expect-error: TS2322 Type 'Build' is not assignable to type 'TypedResult<
export const getAllBuilds: Handlers['getAllBuilds'] = async () => build;

// Two 2xx responses: a plain value is ambiguous, the handler must name a reply.
// expect-error: TS2322 is not assignable to type 'TypedReply<
export const registerTemplate: Handlers['registerTemplate'] = async (input) => ({ ...input.body });

// writeOnly properties are absent from response types (a declared return type catches extra properties).
export async function fetchTemplate(input: Input<'fetchTemplate'>, _ctx: Context<'fetchTemplate'>): Promise<Result<'fetchTemplate'>> {
  // expect-error: TS2353 Object literal may only specify known properties, and ''image-pull-secret'' does not exist
  return { name: input.templateName, 'image-source': 'x', 'image-pull-secret': 'secret' };
}
