import { camelCase, generatedOperationId, statusName, componentName } from '../../src/document/names';

describe('names derived from the document', () => {
  it.each([
    ['image-name', 'imageName'],
    ['X-Request-Id', 'xRequestId'],
    ['X-API-Key', 'xApiKey'],
    ['AccountSid', 'accountSid'],
    ['API_KEY', 'apiKey'],
    ['page[size]', 'pageSize'],
    ['StartTime<', 'startTimeLt'],
    ['StartTime>=', 'startTimeGte'],
    ['limit', 'limit'],
  ])('camelCase(%s) is %s', (name, expected) => expect(camelCase(name)).toBe(expected));

  it.each([
    ['200', 'ok'],
    ['201', 'created'],
    ['204', 'noContent'],
    ['404', 'notFound'],
    ['409', 'conflict'],
    ['422', 'unprocessableEntity'],
    ['4XX', 'clientError'],
    ['default', 'default'],
  ])('the standard name of %s is %s', (key, expected) => expect(statusName(key)).toBe(expected));

  it('names a component response after its component', () => {
    expect(componentName('#/components/responses/NoBuildInfo')).toBe('noBuildInfo');
  });

  it('generates deterministic operationIds from method and path', () => {
    expect(generatedOperationId('get', '/pets/{petId}')).toBe('getPetsByPetId');
    expect(generatedOperationId('post', '/streams')).toBe('postStreams');
    expect(generatedOperationId('delete', '/')).toBe('delete');
  });
});
