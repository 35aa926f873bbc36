// The invariant-checking validator (invariants.mjs) on small resources shaped like
// clarimed's, each break planted into an otherwise valid one so that a check that
// passes cannot pass vacuously, then on the patient journey's Bundles
// (`clarimed demo --db`, then `clarimed fhir consent|audit PATIENT`), each Bundle
// and each of its resources. The clarimed binary is target/debug/clarimed, or
// CLARIMED_BIN.
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { allProblems, invariantProblems } from "./invariants.mjs";

const principal = "https://clarimed.dev/fhir/sid/stacks-principal";
const patient = { identifier: { system: principal, value: "ST2RSGRMWN1GZ48TDKT5V8BFK8KAN4M7CCDZNGZFD" }, type: "Patient" };
const provider = { identifier: { system: principal, value: "ST28J9P28TVNKQMGH0BTDW0K8TJ3KCRS8M0T94HHA" }, type: "Practitioner" };

const consent = () => ({
  resourceType: "Consent",
  id: "consent-0",
  status: "active",
  scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
  category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
  patient: structuredClone(patient),
  policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
  provision: {
    type: "permit",
    period: { start: "2021-01-14T00:10:00Z", end: "2021-01-14T08:20:00Z" },
    actor: [
      {
        role: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP" }] },
        reference: structuredClone(provider),
      },
    ],
  },
});

const auditEvent = () => ({
  resourceType: "AuditEvent",
  id: "access-0",
  type: { system: "http://dicom.nema.org/resources/ontology/DCM", code: "110110" },
  action: "R",
  recorded: "2021-01-14T00:10:00Z",
  outcome: "0",
  agent: [{ who: structuredClone(provider), requestor: true }],
  source: { observer: { type: "Device", display: "clarimed: the record-management contract" } },
  entity: [{ what: structuredClone(patient) }],
});

const bundleOf = (type, resources) => ({
  resourceType: "Bundle",
  type,
  entry: resources.map((resource) => ({ fullUrl: `urn:clarimed:${resource.resourceType}/${resource.id}`, resource })),
});

/** Asserts `check` finds a problem matching `expected` in `broken`, which differs
 * from a resource the first test shows valid only by the planted break. */
function assertCaught(broken, expected, check = invariantProblems) {
  const found = check(broken);
  assert.ok(found.some((problem) => expected.test(problem)), `${expected} not in ${JSON.stringify(found, null, 1)}`);
}

test("a minimal Consent, AuditEvent and collection Bundle of them are valid", () => {
  assert.deepEqual(allProblems(consent()), []);
  assert.deepEqual(allProblems(auditEvent()), []);
  assert.deepEqual(allProblems(bundleOf("collection", [consent(), auditEvent()])), []);
  // A search answer may carry a total: bdl-1 is not a ban on `total`.
  assert.deepEqual(allProblems({ ...bundleOf("searchset", [consent()]), total: 1 }), []);
});

test("a Consent with neither policy nor policyRule breaks ppc-1", () => {
  const broken = consent();
  delete broken.policyRule;
  assertCaught(broken, /ppc-1/);
  assertCaught(broken, /ppc-1/, allProblems);
  // And inside a Bundle, only the entry's own validation reports it.
  assert.ok(!invariantProblems(bundleOf("collection", [broken])).some((problem) => /ppc-1/.test(problem)));
  assertCaught(bundleOf("collection", [broken]), /^Bundle\.entry\[0\]: .*ppc-1/, allProblems);
});

test("a collection Bundle with a total breaks bdl-1", () => {
  assertCaught({ ...bundleOf("collection", [consent()]), total: 1 }, /^Bundle: .*bdl-1/);
});

test("a constraint on a data type is evaluated too: a Period ending before it starts breaks per-1", () => {
  const broken = consent();
  broken.provision.period = { start: "2021-01-14T08:20:00Z", end: "2021-01-14T00:10:00Z" };
  assertCaught(broken, /Consent\.provision\.period: .*per-1/);
  // ref-1 is "unknown" (empty) on a Reference by identifier, which the good Consent
  // has, and false on a local reference to nothing contained.
  const dangling = consent();
  dangling.provision.actor[0].reference = { reference: "#missing", type: "Practitioner" };
  assertCaught(dangling, /Consent\.provision\.actor\[0\]\.reference: .*ref-1/);
});

test("an element with no value and no children breaks ele-1; an empty array is refused", () => {
  const empty = consent();
  empty.category.push({ coding: [] });
  assertCaught(empty, /Consent\.category\[1\]: .*ele-1/);
  assertCaught(empty, /Consent\.category\[1\]\.coding: .*arrays must not be empty/);
  const onlyId = consent();
  onlyId.provision.actor[0].role = { id: "role" };
  assertCaught(onlyId, /Consent\.provision\.actor\[0\]\.role: .*ele-1/);
});

test("the patient as Patient in entity and as Practitioner in agent is caught, in the resource and across a Bundle", () => {
  const broken = auditEvent();
  broken.agent[0].who = { ...structuredClone(patient), type: "Practitioner" };
  assertCaught(broken, /^AuditEvent: .*identifier .*\|ST2RSGRMWN1GZ48TDKT5V8BFK8KAN4M7CCDZNGZFD is referred to as Practitioner \(AuditEvent\.agent\[0\]\.who\) and Patient \(AuditEvent\.entity\[0\]\.what\)/);
  // Two events each consistent on their own, but not with each other.
  const asPractitioner = auditEvent();
  asPractitioner.entity = [{ what: structuredClone(provider) }];
  asPractitioner.agent = [{ who: structuredClone(provider), requestor: true }];
  const asPatient = auditEvent();
  asPatient.agent = [{ who: { ...structuredClone(provider), type: "Patient" }, requestor: true }];
  asPatient.entity = [{ what: { ...structuredClone(provider), type: "Patient" } }];
  assert.deepEqual([...invariantProblems(asPractitioner), ...invariantProblems(asPatient)], []);
  assertCaught(bundleOf("collection", [asPractitioner, asPatient]), /^Bundle: .*referred to as Practitioner .* and Patient/);
});

test("a Reference.type must be an R4 resource type the element may refer to, and agree with its literal reference", () => {
  const unknown = consent();
  unknown.provision.actor[0].reference.type = "Doctor";
  assertCaught(unknown, /Consent\.provision\.actor\[0\]\.reference\.type: .*"Doctor" is not a FHIR R4 resource type/);
  const backport = consent();
  backport.provision.actor[0].reference.type = "SubscriptionStatus"; // FHIR R4B, not R4
  assertCaught(backport, /"SubscriptionStatus" is not a FHIR R4 resource type/);
  const wrongTarget = consent();
  wrongTarget.patient.type = "Practitioner"; // Consent.patient is Reference(Patient)
  assertCaught(wrongTarget, /Consent\.patient: .*a Practitioner where only Patient may be referred to/);
  const disagreeing = consent();
  disagreeing.provision.actor[0].reference.reference = "Patient/p1";
  assertCaught(disagreeing, /type Practitioner disagrees with reference Patient\/p1/);
});

test("the schema half of allProblems still runs: an unknown Consent.status is refused", () => {
  const broken = consent();
  broken.status = "revoked";
  assertCaught(broken, /^Consent: .*status.*allowed values/, allProblems);
});

// The patient journey, as journey.test.mjs makes it.
const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.CLARIMED_BIN ?? join(here, "..", "target", "debug", "clarimed");
let workdir, db, patientPrincipal;

before(() => {
  if (!existsSync(binary)) throw new Error(`no clarimed binary at ${binary}: run \`cargo build\` first, or set CLARIMED_BIN`);
  workdir = mkdtempSync(join(tmpdir(), "clarimed-fhir-invariants-"));
  db = join(workdir, "journey.db");
  const demo = execFileSync(binary, ["demo", "--db", db], { encoding: "utf8" });
  patientPrincipal = demo.match(/^ {2}patient +(ST\w+)$/m)?.[1];
  assert.ok(patientPrincipal, demo.slice(0, 400));
});

after(() => {
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

function fhir(...args) {
  const run = spawnSync(binary, ["--db", db, "fhir", ...args], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

for (const kind of ["consent", "audit"]) {
  test(`the journey's ${kind} Bundle and each of its resources pass the schema and the invariants`, () => {
    const bundle = fhir(kind, patientPrincipal);
    assert.ok(bundle.entry?.length > 0, "the journey has entries to validate");
    assert.deepEqual(allProblems(bundle), []);
  });
}
