// FHIR R4 (4.0.1) validation of clarimed's Bundles by @d4l/js-fhir-validator:
// validators compiled from the FHIR specification's own JSON schema. A Bundle is
// validated without its entries' resources (the validator does not follow
// contained resources), then each resource by the validator of its type.
//
// A JSON schema checks shapes, cardinalities and codes, not FHIR's invariants
// (FHIRPath constraints such as bdl-1 or ppc-1) nor what a reference means:
// invariants.mjs does, and its allProblems runs both.
//
// As a command: node validate.mjs FILE... (exit 0: every resource valid).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const validators = {};

function validatorOf(type) {
  if (!/^[A-Za-z]+$/.test(type ?? "")) throw new Error(`not a resource type: ${type}`);
  validators[type] ??= require(`@d4l/js-fhir-validator/r4/js/${type}.js`);
  return validators[type];
}

/** The problems of `resource` (a Bundle's and each of its entries'), as strings. */
export function problems(resource, where = resource.resourceType) {
  const validate = validatorOf(resource.resourceType);
  const shallow =
    resource.resourceType === "Bundle"
      ? { ...resource, entry: (resource.entry ?? []).map(({ resource: _, ...entry }) => entry) }
      : resource;
  const found = validate(shallow) ? [] : [`${where}: ${JSON.stringify(validate.errors)}`];
  if (resource.resourceType === "Bundle") {
    (resource.entry ?? []).forEach((entry, i) => found.push(...problems(entry.resource, `${where}.entry[${i}]`)));
  }
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = process.argv.slice(2).flatMap((file) => problems(JSON.parse(readFileSync(file, "utf8")), file));
  if (found.length) {
    console.error(found.join("\n"));
    process.exit(1);
  }
  console.log(`${process.argv.length - 2} file(s) valid (FHIR R4 4.0.1 JSON schema)`);
}
