// Handlers for operations that have none: a 501 naming the operation, or a mock reply from examples.
import { HttpError } from '../errors';
import type { Handler } from '../core/types';
import type { OperationSpec } from '../spec/operations';
import { exampleOf } from '../mock/sample';
import { Reply, statusOf } from '../replies/replies';

export function notImplementedHandler(spec: OperationSpec): Handler {
  return () => {
    const error = HttpError.of('notImplemented', `${spec.method.toUpperCase()} ${spec.path} (${spec.operationId}) has no handler yet: export ${spec.operationId} from the handlers directory`);
    throw error;
  };
}

/** Replies with the first 2xx response (else `default`), its body from the document's examples or the schema. */
export function mockHandler(document: unknown, spec: OperationSpec): Handler {
  const response = spec.responses.find((r) => /^2/.test(r.key)) ?? spec.responses.find((r) => r.key === 'default');
  return () => {
    if (!response) throw HttpError.of('notImplemented', `${spec.operationId} declares no response to mock`);
    const media = response.content.find((m) => /json/i.test(m.mediaType)) ?? response.content[0];
    const body = media ? exampleOf(document, media) : undefined;
    return new Reply(response, statusOf(response.key, 200), body, media ? { contentType: media.mediaType } : {});
  };
}
