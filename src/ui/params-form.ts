/**
 * Start forms built from the OpenAPI document (`/docs-json`): each action type has its own path
 * `POST /v1/cluster/actions/<name>` whose body schema is its params class.
 */

interface Schema {
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Record<string, Schema>;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly description?: string;
}

interface OpenApiDocument {
  readonly paths?: Record<
    string,
    { post?: { requestBody?: { content?: Record<string, { schema?: Schema }> } } }
  >;
  readonly components?: { schemas?: Record<string, Schema> };
}

/** How an action type's parameters are entered: from its schema, or as raw JSON when there is none. */
export type ParamsInput = { readonly kind: 'schema'; readonly schema: Schema } | { readonly kind: 'json' };

const ACTION_PATH = /^\/v1\/cluster\/actions\/([^/{}]+)$/;

/** Every action type the document lists, with its params schema. Empty when the document is off. */
export function paramsInputs(document: OpenApiDocument): Map<string, ParamsInput> {
  const inputs = new Map<string, ParamsInput>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const name = ACTION_PATH.exec(path)?.[1];
    const schema = item.post?.requestBody?.content?.['application/json']?.schema;
    if (!name || !item.post) continue;
    inputs.set(name, schema ? { kind: 'schema', schema: resolve(document, schema) } : { kind: 'json' });
  }
  return inputs;
}

function resolve(document: OpenApiDocument, schema: Schema): Schema {
  const name = schema.$ref?.replace('#/components/schemas/', '');
  return name ? (document.components?.schemas?.[name] ?? {}) : schema;
}

/** The form's fields, labelled, inside `form`; returns how to read the parameters from them. */
export function renderParamsFields(
  form: HTMLFormElement,
  idPrefix: string,
  input: ParamsInput,
): () => Record<string, unknown> {
  if (input.kind === 'json') {
    const area = field(
      form,
      `${idPrefix}-params`,
      'Parameters (JSON object)',
      document.createElement('textarea'),
    );
    area.rows = 2;
    area.placeholder = '{}';
    return () => {
      if (!area.value.trim()) return {};
      try {
        return JSON.parse(area.value) as Record<string, unknown>;
      } catch (error) {
        throw new Error(`The parameters are not valid JSON: ${(error as Error).message}`, { cause: error });
      }
    };
  }
  const readers = Object.entries(input.schema.properties ?? {}).map(([name, property]) => {
    const id = `${idPrefix}-${name}`;
    const required = input.schema.required?.includes(name) ?? false;
    const label = required ? name : `${name} (optional)`;
    if (property.type === 'boolean') {
      const box = field(form, id, label, document.createElement('input'));
      box.type = 'checkbox';
      return () => [name, box.checked] as const;
    }
    if (property.enum) {
      const select = field(form, id, label, document.createElement('select'));
      if (!required) select.append(new Option('', ''));
      for (const value of property.enum) select.append(new Option(String(value), String(value)));
      select.required = required;
      return () => [name, select.value === '' ? undefined : select.value] as const;
    }
    const text = field(form, id, label, document.createElement('input'));
    const numeric = property.type === 'number' || property.type === 'integer';
    text.type = numeric ? 'number' : 'text';
    text.required = required;
    text.autocomplete = 'off';
    if (property.description) text.title = property.description;
    return () => [name, text.value === '' ? undefined : numeric ? Number(text.value) : text.value] as const;
  });
  return () => {
    const entries: (readonly [string, unknown])[] = readers.map((read) => read());
    return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
  };
}

/** `control` with its label, appended to `form`. */
function field<T extends HTMLElement>(form: HTMLFormElement, id: string, text: string, control: T): T {
  const wrapper = document.createElement('div');
  wrapper.className = 'field';
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = text;
  control.id = id;
  control.setAttribute('name', id);
  wrapper.append(label, control);
  form.append(wrapper);
  return control;
}
