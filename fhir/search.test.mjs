// `clarimed serve` as a FHIR server, as an integration engine uses one: its
// CapabilityStatement, searches answering `searchset` Bundles paged by `next`
// links, reads by id, content negotiation, and an OperationOutcome for every
// refusal. Every answer is validated by both validators (invariants.mjs), each
// resource on its own as well as each Bundle, and compared with what
// `clarimed fhir` exports of the same state.
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServe, stopServe } from "../stacksjs/serve.mjs";
import { allProblems } from "./invariants.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.CLARIMED_BIN ?? join(here, "..", "target", "debug", "clarimed");
let workdir, db, cast, server, baseUrl;

const FHIR_JSON = "application/fhir+json";

/** What `clarimed fhir …` exports, as a collection Bundle. */
function exported(...args) {
  const run = spawnSync(binary, ["--db", db, "fhir", ...args], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

/** GET `path` (relative to the server, or a full URL); status, content type and JSON body. */
async function get(path, accept = FHIR_JSON) {
  const response = await fetch(path.startsWith("http") ? path : `${baseUrl}${path}`, { headers: { accept } });
  return { status: response.status, type: response.headers.get("content-type"), body: await response.json() };
}

/** Every page of a search, following `next` links: the resources and each page's Bundle. */
async function everyPage(path) {
  const pages = [];
  let next = path;
  while (next) {
    const { status, body } = await get(next);
    assert.equal(status, 200, JSON.stringify(body));
    pages.push(body);
    next = body.link.find((link) => link.relation === "next")?.url;
    assert.ok(pages.length < 500, "the pages never end");
  }
  return { resources: pages.flatMap((page) => page.entry.map((entry) => entry.resource)), pages };
}

const resources = (bundle) => bundle.entry.map((entry) => entry.resource);
/** The default clock's instant of `block`, as docs/fhir.md states it. */
const instant = (block) => new Date(Date.parse("2021-01-14T00:00:00Z") + block * 600_000).toISOString().replace(".000Z", "Z");

before(async () => {
  if (!existsSync(binary)) throw new Error(`no clarimed binary at ${binary}: run \`cargo build\` first, or set CLARIMED_BIN`);
  workdir = mkdtempSync(join(tmpdir(), "clarimed-fhir-search-"));
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

test("GET /fhir/metadata is a valid CapabilityStatement of exactly what is served", async () => {
  const { status, type, body } = await get("/fhir/metadata");
  assert.equal(status, 200);
  assert.equal(type, FHIR_JSON);
  assert.deepEqual(allProblems(body), []);
  assert.equal(body.fhirVersion, "4.0.1");
  const served = body.rest[0].resource.map((r) => [r.type, r.interaction.map((i) => i.code), r.searchParam.map((p) => p.name)]);
  assert.deepEqual(served, [
    ["Consent", ["read", "search-type"], ["patient"]],
    ["AuditEvent", ["read", "search-type"], ["patient", "entity", "agent", "date"]],
  ]);
});

test("a Consent search is a valid searchset of what clarimed fhir exports, each entry a match at its own URL", async () => {
  const { status, type, body } = await get(`/fhir/Consent?patient=${cast.patient}`);
  assert.equal(status, 200);
  assert.equal(type, FHIR_JSON);
  assert.deepEqual(allProblems(body), []);
  assert.equal(body.type, "searchset");
  assert.equal(body.total, body.entry.length);
  assert.deepEqual(resources(body), resources(exported("consent", cast.patient)));
  assert.equal(body.link[0].relation, "self");
  assert.ok(body.link[0].url.endsWith(`/fhir/Consent?patient=${cast.patient}`), body.link[0].url);
  for (const entry of body.entry) {
    assert.deepEqual(entry.search, { mode: "match" });
    assert.equal(entry.fullUrl, `${baseUrl}/fhir/Consent/${entry.resource.id}`);
  }
});

test("AuditEvent pages, followed by their next links, are the whole export in order, newest first reversed, each page stating the total", async () => {
  const whole = resources(exported("audit", cast.patient));
  assert.ok(whole.length > 6, "enough to page through");
  const { resources: paged, pages } = await everyPage(`/fhir/AuditEvent?patient=${cast.patient}&_count=4`);
  assert.deepEqual(paged, whole);
  assert.equal(pages.length, Math.ceil(whole.length / 4));
  for (const page of pages) {
    assert.equal(page.total, whole.length);
    assert.deepEqual(allProblems(page), []);
  }
  const { resources: newestFirst } = await everyPage(`/fhir/AuditEvent?patient=${cast.patient}&_count=5&_sort=-date`);
  assert.deepEqual(newestFirst, [...whole].reverse());
});

test("agent, entity and date keep exactly the events they name", async () => {
  const whole = resources(exported("audit", cast.patient));
  const byProvider = (await everyPage(`/fhir/AuditEvent?patient=${cast.patient}&agent=${cast.provider}`)).resources;
  assert.deepEqual(byProvider, whole.filter((event) => event.agent[0].who.identifier.value === cast.provider));
  assert.ok(byProvider.length > 0 && byProvider.length < whole.length);
  const late = (await everyPage(`/fhir/AuditEvent?patient=${cast.patient}&date=ge${instant(433)}`)).resources;
  assert.deepEqual(late, resources(exported("audit", cast.patient, "--from", "433")));
  assert.ok(late.length > 0 && late.length < whole.length);
  const early = (await everyPage(`/fhir/AuditEvent?patient=${cast.patient}&date=le${instant(1).slice(0, 10)}`)).resources;
  assert.deepEqual(early, resources(exported("audit", cast.patient, "--to", "143")), "a day's le bound is the day's end");
  const recordOne = (await everyPage(`/fhir/AuditEvent?entity=1&patient=${cast.patient}`)).resources;
  assert.deepEqual(recordOne, whole.filter((event) => event.entity.some((entity) => entity.what.identifier.value === "1")));
});

test("every resource reads back by its id, valid on its own", async () => {
  for (const [route, command] of [["Consent", "consent"], ["AuditEvent", "audit"]]) {
    for (const resource of resources(exported(command, cast.patient))) {
      const { status, type, body } = await get(`/fhir/${route}/${resource.id}`);
      assert.equal(status, 200, `${route}/${resource.id}`);
      assert.equal(type, FHIR_JSON);
      assert.deepEqual(body, resource);
      assert.deepEqual(allProblems(body), []);
    }
  }
});

test("every refusal is an OperationOutcome: 406 for another format, 400 for a bad search, 404 for an unknown id", async () => {
  const refusals = [
    [`/fhir/Consent?patient=${cast.patient}`, "application/fhir+xml", 406, "not-supported"],
    ["/fhir/metadata", "text/html", 406, "not-supported"],
    ["/fhir/AuditEvent", FHIR_JSON, 400, "required"],
    ["/fhir/Consent?patient=not-a-principal", FHIR_JSON, 400, "invalid"],
    [`/fhir/AuditEvent?patient=${cast.patient}&date=yesterday`, FHIR_JSON, 400, "invalid"],
    [`/fhir/AuditEvent?patient=${cast.patient}&from=433`, FHIR_JSON, 400, "not-supported"],
    [`/fhir/AuditEvent?patient=${cast.patient}&_cursor=nonsense`, FHIR_JSON, 400, "invalid"],
    [`/fhir/Consent/c999-${cast.patient}`, FHIR_JSON, 404, "not-found"],
    ["/fhir/AuditEvent/nonsense", FHIR_JSON, 404, "not-found"],
  ];
  for (const [path, accept, status, code] of refusals) {
    const answer = await get(path, accept);
    assert.equal(answer.status, status, path);
    assert.equal(answer.type, FHIR_JSON, path);
    assert.equal(answer.body.resourceType, "OperationOutcome", path);
    assert.equal(answer.body.issue[0].code, code, path);
    assert.deepEqual(allProblems(answer.body), [], path);
  }
  // A principal who is no patient: a search with no match, not a failure.
  const { status, body } = await get(`/fhir/Consent?patient=${cast.responder}`);
  assert.equal(status, 200);
  assert.deepEqual([body.type, body.total, body.entry.length], ["searchset", 0, 0]);
  assert.deepEqual(allProblems(body), []);
});
