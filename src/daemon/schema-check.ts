import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { schemaDocuments } from '../generated/schemas.js';
import { type ErrorCode, ApiError } from '../shared/api-error.js';

/**
 * Values are checked by the JSON Schemas in schemas/, compiled once by ajv: the static rules live
 * there, not here (docs/architecture.md, "one source for every rule"). Failures become an error
 * code of docs/protocol.md with the field to blame, taken from the schema's `x-errors` where it
 * names one. This module knows schema ids, not what uses them.
 */

/** Fields of human text: NFC-normalised before validation, so lengths count code points of NFC text. */
const TEXT_FIELDS = ['name', 'newName', 'literalName', 'description'] as const;

interface SchemaErrorText {
  code: ErrorCode;
  message: string;
  field?: string;
}

/** Keywords of this project's schemas that ajv does not know; they annotate, they do not validate. */
const SCHEMA_ANNOTATIONS = ['x-errors', 'x-bands', 'x-disabled', 'x-default', 'x-max', 'x-presets', 'x-shorthand', 'x-codes'];

function createAjv(): Ajv2020 {
  // strictRequired is off because `not: {required: [...]}` (expiresOn XOR validFor) is the idiom.
  const ajv = new Ajv2020({ strict: true, strictRequired: false, verbose: true, useDefaults: true, allErrors: false });
  (ajvFormats as unknown as (ajv: Ajv2020, formats: string[]) => void)(ajv, ['date', 'date-time']);
  // The project's own annotations: error texts, the properties of each error code, and rules the schema keywords cannot say (read by src/vault and the generator).
  for (const keyword of SCHEMA_ANNOTATIONS) ajv.addKeyword(keyword);
  for (const document of schemaDocuments) ajv.addSchema(document);
  return ajv;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

/** The compiled validator of a schema id (`params/apiKey.create.json`, `results/…`), compiled on first use. */
export function validatorFor(schemaId: string): ValidateFunction {
  let validate = validators.get(schemaId);
  if (!validate) {
    ajv ??= createAjv();
    validate = ajv.getSchema(schemaId);
    if (!validate) throw new Error(`no schema ${schemaId}`);
    validators.set(schemaId, validate);
  }
  return validate;
}

/**
 * `raw` checked against the schema `schemaId`, with its text fields NFC-normalised and schema
 * defaults filled in; or a ApiError. The caller's object is not changed.
 */
export function checkAgainstSchema<T>(schemaId: string, raw: unknown): T {
  const value = isPlainObject(raw) ? normalizeText(raw) : raw;
  const validate = validatorFor(schemaId);
  if (!validate(value)) throw toApiError(validate.errors![0]!);
  return value as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normalizeText(raw: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...raw };
  for (const field of TEXT_FIELDS) {
    const value = copy[field];
    if (typeof value === 'string') copy[field] = value.normalize('NFC');
  }
  return copy;
}

/** The field an ajv error is about: the first segment of its path, or the property it names. */
function fieldOf(error: ErrorObject): string | undefined {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (error.keyword === 'required') return params.missingProperty;
  if (error.keyword === 'additionalProperties') return params.additionalProperty;
  const first = error.instancePath.split('/')[1];
  return first === undefined || first === '' ? undefined : first.replace(/~1/g, '/').replace(/~0/g, '~');
}

type ErrorTexts = Record<string, SchemaErrorText> | undefined;

/**
 * The x-errors text of an ajv error: the failing keyword's, in the schema that has the keyword; for a
 * missing field, the `required` text of that field's own schema, where it has one (a protocol-2
 * client's challenge lacks protocolVersion, and is told which protocol to speak).
 */
function declaredText(error: ErrorObject, field: string | undefined): SchemaErrorText | undefined {
  if (error.keyword === 'required' && field !== undefined) {
    const properties = error.parentSchema?.properties as Record<string, { 'x-errors'?: ErrorTexts }> | undefined;
    const own = properties?.[field]?.['x-errors']?.required;
    if (own) return own;
  }
  return (error.parentSchema?.['x-errors'] as ErrorTexts)?.[error.keyword];
}

function toApiError(error: ErrorObject): ApiError {
  const field = fieldOf(error);
  const params = error.params as Record<string, unknown>;
  const declared = declaredText(error, field);
  if (declared) {
    const message = declared.message.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name]));
    return new ApiError(declared.code, message, declared.field ?? field);
  }
  return new ApiError('InvalidParams', describe(error, field, params), field);
}

/** Plain words for the errors the schemas leave to the generic InvalidParams. */
function describe(error: ErrorObject, field: string | undefined, params: Record<string, unknown>): string {
  const subject = field === undefined ? 'params' : `'${field}'`;
  switch (error.keyword) {
    case 'required':
      return `Missing required field '${String(params.missingProperty)}'.`;
    case 'additionalProperties':
      return `Unknown field '${String(params.additionalProperty)}'.`;
    case 'type':
      return field === undefined
        ? 'params must be an object of named fields.'
        : `${subject} must be ${params.type === 'integer' ? 'an integer' : `a ${String(params.type)}`}.`;
    case 'enum':
      return `${subject} must be one of: ${(params.allowedValues as unknown[]).join(', ')}.`;
    case 'format':
      return `${subject} must be ${params.format === 'date' ? 'a real calendar date written YYYY-MM-DD' : `a ${String(params.format)}`}.`;
    case 'minimum':
      return `${subject} must be at least ${String(params.limit)}.`;
    case 'maxLength':
      return `${subject} can have at most ${String(params.limit)} characters.`;
    case 'uniqueItems':
      return `${subject} names a value twice.`;
    default:
      return `${subject} is not valid: it ${error.message ?? 'does not match the schema'}.`;
  }
}
