// The patient journey's consents and accesses as FHIR R4 `collection` Bundles from
// `clarimed fhir`, validated by two validators nobody here wrote (the FHIR JSON
// schema, and Medplum's over the R4 StructureDefinitions with their invariants:
// invariants.mjs), each resource on its own as well as each Bundle. The search API
// of `clarimed serve` is search.test.mjs.
//
// The journey is `clarimed demo --db`: registration, two consents (one until block
// 50), records created, read, updated, rolled back, archived and purged, a
// revocation, and an emergency override until block 433, with time passing to
// block 1,576,801. The clarimed binary is target/debug/clarimed (built by
// `cargo test` or `cargo build`), or CLARIMED_BIN.
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { allProblems } from "./invariants.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.CLARIMED_BIN ?? join(here, "..", "target", "debug", "clarimed");
let workdir, db, cast;

/** The genesis and block length of the default clock, as docs/fhir.md states them. */
const genesis = Date.parse("2021-01-14T00:00:00Z");
const instant = (block) => new Date(genesis + block * 600_000).toISOString().replace(".000Z", "Z");

function clarimed(...args) {
  const run = spawnSync(binary, ["--db", db, ...args], { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function bundle(...args) {
  const run = clarimed("fhir", ...args);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

before(async () => {
  if (!existsSync(binary)) throw new Error(`no clarimed binary at ${binary}: run \`cargo build\` first, or set CLARIMED_BIN`);
  workdir = mkdtempSync(join(tmpdir(), "clarimed-fhir-"));
  db = join(workdir, "journey.db");
  const demo = execFileSync(binary, ["demo", "--db", db], { encoding: "utf8" });
  cast = Object.fromEntries([...demo.matchAll(/^ {2}(owner|patient|provider|responder) +(ST\w+)$/gm)].map((m) => [m[1], m[2]]));
  assert.ok(cast.patient && cast.provider && cast.responder, demo.slice(0, 400));
});

after(() => {
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

const dataType = (consent) => consent.provision.code?.[0].coding[0].code;
/** Our own code of an AuditEvent's subtype (a standard code may come first). */
const action = (event) => event.subtype.find((coding) => coding.system.startsWith("https://clarimed.dev/")).code;

test("every resource of the journey's Consent and AuditEvent Bundles is valid FHIR R4", () => {
  const consents = bundle("consent", cast.patient);
  const audit = bundle("audit", cast.patient);
  assert.deepEqual([...allProblems(consents), ...allProblems(audit)], []);
  assert.deepEqual([consents.type, audit.type], ["collection", "collection"]);
  assert.equal(consents.total, undefined, "a collection has no total (bdl-1)");
  assert.equal(consents.entry.length, 3, "two consents and an emergency override");
  assert.ok(audit.entry.every(({ resource }) => resource.resourceType === "AuditEvent"));
});

test("a revoked consent is inactive and ends at its revocation", () => {
  const consents = bundle("consent", cast.patient).entry.map((entry) => entry.resource);
  const history = consents.find((consent) => dataType(consent) === "MEDICAL-HISTORY");
  assert.equal(history.status, "inactive");
  assert.equal(history.provision.period.end, instant(1), "revoked at block 1");
  assert.equal(history.provision.actor[0].reference.identifier.value, cast.provider);
  assert.equal(history.patient.identifier.value, cast.patient);
  assert.equal(history.scope.coding[0].code, "patient-privacy");
  assert.equal(history.provision.purpose?.[0]?.code, "ongoing care", "a revoked consent keeps the purpose it was granted for");
});

test("an expired consent is inactive and ends at its expiry", () => {
  const labs = bundle("consent", cast.patient).entry.map((entry) => entry.resource).find((consent) => dataType(consent) === "LAB-RESULTS");
  assert.equal(labs.status, "inactive", "the journey ends past block 50");
  assert.deepEqual(labs.provision.period, { start: instant(1), end: instant(50) });
  assert.equal(labs.provision.purpose[0].code, "lab follow-up");
});

test("an emergency override is a consent for emergency treatment over its window, and its reads say so", () => {
  const consents = bundle("consent", cast.patient).entry.map((entry) => entry.resource);
  const emergency = consents.find((consent) => consent.provision.purpose?.[0]?.code === "ETREAT");
  assert.equal(emergency.provision.actor[0].reference.identifier.value, cast.responder);
  assert.deepEqual(emergency.provision.period, { start: instant(1), end: instant(433) });
  assert.equal(emergency.status, "inactive", "the journey ends past block 433");
  const events = bundle("audit", cast.patient).entry.map((entry) => entry.resource);
  const emergencyRead = events.find((event) => event.action === "R" && event.agent[0].who.identifier.value === cast.responder);
  assert.equal(emergencyRead.purposeOfEvent[0].coding[0].code, "ETREAT");
  const actions = events.map(action);
  for (const action of ["REGISTER", "GRANT", "REVOKE", "EMERGENCY-OVERRIDE", "CREATE", "READ", "UPDATE", "ROLLBACK", "ARCHIVE", "PURGE"]) {
    assert.ok(actions.includes(action), `${action} in ${actions}`);
  }
});

test("--from and --to keep the events of those blocks, and the clock is settable", () => {
  const late = bundle("audit", cast.patient, "--from", "433").entry.map((entry) => entry.resource);
  assert.deepEqual(late.map(action), ["ARCHIVE", "PURGE"]);
  const early = bundle("audit", cast.patient, "--to", "1", "--genesis", "2025-06-01T00:00:00Z", "--block-seconds", "5");
  assert.ok(early.entry.every(({ resource }) => resource.recorded === "2025-06-01T00:00:05Z"));
  assert.deepEqual(allProblems(early), []);
});

test("each agent is referred to as what it acted as: the patient as Patient, a provider or responder as Practitioner", () => {
  const events = bundle("audit", cast.patient).entry.map((entry) => entry.resource);
  const kinds = new Map();
  for (const event of events) {
    const who = event.agent[0].who;
    kinds.set(who.identifier.value, who.type);
  }
  assert.equal(kinds.get(cast.patient), "Patient");
  assert.equal(kinds.get(cast.provider), "Practitioner");
  assert.equal(kinds.get(cast.responder), "Practitioner");
  const read = events.find((event) => action(event) === "READ");
  assert.deepEqual(read.subtype[0], { system: "http://hl7.org/fhir/restful-interaction", code: "read", display: "read" });
  const rollback = events.find((event) => action(event) === "ROLLBACK");
  assert.equal(rollback.subtype.length, 1, "no RESTful interaction is a rollback");
});

test("an unknown or malformed patient is refused with exit 2", () => {
  for (const patient of ["not-a-principal", cast.responder]) {
    const run = clarimed("fhir", "consent", patient);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /not a principal|not a registered patient/);
  }
});
