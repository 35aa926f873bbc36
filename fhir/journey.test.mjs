// The patient journey's consents and accesses as FHIR R4 Bundles, validated by a
// validator nobody here wrote (@d4l/js-fhir-validator, compiled from the FHIR
// specification's JSON schema), from `clarimed fhir` and from `clarimed serve`.
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
import { startServe, stopServe } from "../stacksjs/serve.mjs";
import { problems } from "./validate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.CLARIMED_BIN ?? join(here, "..", "target", "debug", "clarimed");
let workdir, db, cast, server, baseUrl;

/** The genesis and block length of the default clock, as the README states them. */
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
  ({ server, baseUrl } = await startServe(binary, db));
});

after(async () => {
  const stopped = await stopServe(server);
  if (stopped !== null) assert.equal(stopped, 0);
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

const dataType = (consent) => consent.provision.code?.[0].coding[0].code;

test("every resource of the journey's Consent and AuditEvent Bundles is valid FHIR R4", () => {
  const consents = bundle("consent", cast.patient);
  const audit = bundle("audit", cast.patient);
  assert.deepEqual([...problems(consents), ...problems(audit)], []);
  assert.equal(consents.type, "collection");
  assert.equal(consents.entry.length, 3, "two consents and an emergency override");
  assert.equal(audit.entry.length, audit.total);
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
  const actions = events.map((event) => event.subtype[0].code);
  for (const action of ["REGISTER", "GRANT", "REVOKE", "EMERGENCY-OVERRIDE", "CREATE", "READ", "UPDATE", "ROLLBACK", "ARCHIVE", "PURGE"]) {
    assert.ok(actions.includes(action), `${action} in ${actions}`);
  }
});

test("--from and --to keep the events of those blocks, and the clock is settable", () => {
  const late = bundle("audit", cast.patient, "--from", "433").entry.map((entry) => entry.resource);
  assert.deepEqual(late.map((event) => event.subtype[0].code), ["ARCHIVE", "PURGE"]);
  const early = bundle("audit", cast.patient, "--to", "1", "--genesis", "2025-06-01T00:00:00Z", "--block-seconds", "5");
  assert.ok(early.entry.every(({ resource }) => resource.recorded === "2025-06-01T00:00:05Z"));
  assert.deepEqual(problems(early), []);
});

test("clarimed serve answers the same Bundles as application/fhir+json", async () => {
  for (const [route, command] of [["Consent", "consent"], ["AuditEvent", "audit"]]) {
    const response = await fetch(`${baseUrl}/fhir/${route}?patient=${cast.patient}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/fhir+json");
    assert.deepEqual(await response.json(), bundle(command, cast.patient));
  }
});

test("an unknown or malformed patient is refused: exit 2, or HTTP 400 with an OperationOutcome", async () => {
  for (const patient of ["not-a-principal", cast.responder]) {
    const run = clarimed("fhir", "consent", patient);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /not a principal|not a registered patient/);
    const response = await fetch(`${baseUrl}/fhir/Consent?patient=${patient}`);
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("content-type"), "application/fhir+json");
    const outcome = await response.json();
    assert.equal(outcome.resourceType, "OperationOutcome");
    assert.deepEqual(problems(outcome), []);
  }
  const missing = await fetch(`${baseUrl}/fhir/AuditEvent`);
  assert.equal(missing.status, 400);
  const badBlock = await fetch(`${baseUrl}/fhir/AuditEvent?patient=${cast.patient}&from=yesterday`);
  assert.equal(badBlock.status, 400);
});
