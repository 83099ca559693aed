import { Ajv2020 } from 'ajv/dist/2020.js';
import type { OpenApiDocument } from '../openapi/openapi-document.ts';

/** A response checked against the document: which operation it matched, and every mismatch. */
export interface ContractCheck {
  operation: string;
  problems: string[];
}

/**
 * Checks one real response against the OpenAPI document: the status is documented for the
 * operation, the content type is one it lists, the JSON body validates against its schema, and
 * every header the document lists for that status is present. Used by the contract tests, so a
 * schema or route change that breaks the document fails the build.
 */
export function createContractChecker(document: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'doc', components: (document as { components: unknown }).components });
  const paths = (document as { paths: Record<string, Record<string, Operation>> }).paths;
  return async (method: string, path: string, response: Response): Promise<ContractCheck> => {
    const template = matchTemplate(Object.keys(paths), path);
    const operation = template ? paths[template]?.[method.toLowerCase()] : undefined;
    if (template && !operation) return checkMethodNotAllowed(paths[template]!, method, response);
    if (!template || !operation)
      return { operation: `${method} ${path}`, problems: ['route is not documented'] };
    const problems: string[] = [];
    const documented = operation.responses[String(response.status)];
    if (!documented) {
      problems.push(`status ${response.status} is not documented`);
      return { operation: operation.operationId, problems };
    }
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const content = documented.content ?? {};
    if (Object.keys(content).length > 0 && method.toUpperCase() !== 'HEAD' && !(type in content)) {
      problems.push(`content type '${type}' is not one of ${Object.keys(content).join(', ')}`);
    }
    const schema = content['application/json']?.schema;
    if (schema && type === 'application/json') {
      const validate = ajv.compile({ $ref: `doc${schema.$ref}` });
      const body: unknown = await response.clone().json();
      if (!validate(body)) {
        for (const error of validate.errors ?? [])
          problems.push(`body${error.instancePath} ${error.message}`);
      }
    }
    for (const name of Object.keys(documented.headers ?? {})) {
      if (name.startsWith('x-ratelimit') || name === 'x-pixelgate-warnings' || name.startsWith('retry-after'))
        continue;
      if (!response.headers.has(name)) problems.push(`header ${name} is missing`);
    }
    return { operation: operation.operationId, problems };
  };
}

/** A method the document does not list on a documented path must be a 405 naming the allowed ones. */
function checkMethodNotAllowed(
  item: Record<string, Operation>,
  method: string,
  response: Response,
): ContractCheck {
  const allowed = Object.keys(item).map((name) => name.toUpperCase());
  const first = Object.values(item)[0]!;
  const problems: string[] = [];
  if (response.status !== 405)
    problems.push(`${method} is not documented here, yet the answer was ${response.status}`);
  const allow = response.headers.get('allow') ?? '';
  for (const name of allowed) if (!allow.includes(name)) problems.push(`Allow does not list ${name}`);
  return { operation: first.operationId, problems };
}

interface Operation {
  operationId: string;
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, { schema?: { $ref: string } }> }
  >;
}

function matchTemplate(templates: string[], path: string): string | undefined {
  const exact = templates.find((template) => template === path);
  if (exact) return exact;
  return templates.find((template) => {
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
    );
    return pattern.test(path);
  });
}
