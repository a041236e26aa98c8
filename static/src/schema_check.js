// Checks a message against a JSON Schema (draft 2020-12), for the node tests: the keywords the
// stream contract uses (type, const, enum, properties, required, additionalProperties, items,
// $ref into $defs, anyOf, oneOf). A keyword it does not know fails the check, so a schema that
// grows one is noticed here rather than passed over. Not part of any bundle.

const NOTES = new Set(["$schema", "$id", "title", "description", "examples", "default", "$comment"]);
const KNOWN = new Set(["type", "const", "enum", "properties", "required", "additionalProperties", "items", "$ref", "anyOf", "oneOf", "$defs"]);

function typeOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value; // string, boolean, object
}

function typeMatches(value, wanted) {
  const actual = typeOf(value);
  return actual === wanted || (wanted === "number" && actual === "integer");
}

function checkObject(root, schema, value, path, errors) {
  if (typeOf(value) !== "object") return;
  for (const name of schema.required || []) {
    if (!Object.hasOwn(value, name)) errors.push(`${path}: "${name}" is required`);
  }
  const properties = schema.properties || {};
  for (const [name, item] of Object.entries(value)) {
    if (Object.hasOwn(properties, name)) check(root, properties[name], item, `${path}.${name}`, errors);
    else if (schema.additionalProperties === false) errors.push(`${path}: "${name}" is not allowed`);
  }
}

function check(root, schema, value, path, errors) {
  for (const keyword of Object.keys(schema)) {
    if (!NOTES.has(keyword) && !KNOWN.has(keyword)) errors.push(`${path}: unknown keyword ${keyword}`);
  }
  if (schema.$ref) {
    const name = schema.$ref.replace(/^#\/\$defs\//, "");
    if (!Object.hasOwn(root.$defs || {}, name)) errors.push(`${path}: no definition ${schema.$ref}`);
    else check(root, root.$defs[name], value, path, errors);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(value, t))) errors.push(`${path}: ${JSON.stringify(value)} is not ${types.join(" or ")}`);
  }
  if (Object.hasOwn(schema, "const") && value !== schema.const) errors.push(`${path}: not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum}`);
  checkObject(root, schema, value, path, errors);
  if (schema.items && Array.isArray(value)) value.forEach((item, i) => check(root, schema.items, item, `${path}[${i}]`, errors));
  for (const [keyword, wanted] of [["anyOf", (n) => n >= 1], ["oneOf", (n) => n === 1]]) {
    if (!schema[keyword]) continue;
    const passing = schema[keyword].filter((option) => validate(root, value, option).length === 0).length;
    if (!wanted(passing)) errors.push(`${path}: ${passing} of the ${keyword} options match`);
  }
}

// The errors of `value` against `schema` (default: the whole document `root`); [] when valid.
export function validate(root, value, schema = root) {
  const errors = [];
  check(root, schema, value, "$", errors);
  return errors;
}
