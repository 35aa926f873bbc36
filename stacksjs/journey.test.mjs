// The patient journey through unchanged stacks.js against `clarimed serve`.
//
// clarimed is started on a free loopback port over a fresh state; every public step
// is a transaction made by `makeContractCall` and sent by `broadcastTransaction`,
// reads go through `fetchCallReadOnlyFunction` and `fetchContractMapEntry`, and
// outcomes are polled at `/extended/v1/tx/{txid}` as stacks.js apps poll them.
// Every answer is validated against a published spec, so the shapes are checked by
// the spec and not by this test's author: the node routes against the node's own
// OpenAPI schemas (stacks-core's, in node-rpc-schemas/), the Hiro routes against the
// JSON schemas published in @stacks/stacks-blockchain-api-types (the schemas the
// Hiro API and its generated client are built from).
//
// The clarimed binary is target/debug/clarimed (built by `cargo test` or
// `cargo build`), or CLARIMED_BIN.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, existsSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServe, stopServe } from "./serve.mjs";
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import { parse as parseYaml } from "yaml";
import {
  Cl,
  broadcastTransaction,
  cvToHex,
  fetchCallReadOnlyFunction,
  fetchContractMapEntry,
  makeContractCall,
  makeRandomPrivKey,
  getAddressFromPrivateKey,
  privateKeyToPublic,
  serializeCV,
  serializePayload,
  estimateTransactionByteLength,
  signMessageHashRsv,
  Pc,
  PostConditionMode,
} from "@stacks/transactions";
import { STACKS_TESTNET } from "@stacks/network";

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.CLARIMED_BIN ?? join(here, "..", "target", "debug", "clarimed");

// --- The published schemas -------------------------------------------------------

// The Hiro API's (JSON Schema draft 7) and the node's (OpenAPI 3.1: JSON Schema 2020-12).
// The Hiro schemas are written for generating types: they join parts with `allOf`
// and close each part with `additionalProperties: false`, which under JSON Schema
// no object with the fields of two parts satisfies. Only that closing is dropped;
// every required field and every type is checked.
const hiro = new Ajv({ strict: false, allErrors: true });
const typesRoot = join(here, "node_modules", "@stacks", "stacks-blockchain-api-types");
for (const file of walk(typesRoot).filter((f) => f.endsWith(".schema.json"))) {
  const schema = opened(JSON.parse(readFileSync(file, "utf8")));
  hiro.addSchema({ ...schema, $id: pathToFileURL(file).href });
}

function opened(schema) {
  if (Array.isArray(schema)) return schema.map(opened);
  if (schema === null || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === "additionalProperties" && value === false))
      .map(([key, value]) => [key, opened(value)]),
  );
}
const node = new Ajv2020({ strict: false, allErrors: true });
const nodeRoot = join(here, "node-rpc-schemas");
for (const file of walk(nodeRoot).filter((f) => f.endsWith(".schema.yaml"))) {
  node.addSchema({ ...parseYaml(readFileSync(file, "utf8")), $id: pathToFileURL(file).href });
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Asserts that `value` is valid under the Hiro API's schema at `path`. */
function conforms(path, value) {
  check(hiro, join(typesRoot, path), value);
}

/** Asserts that `value` is valid under the node's schema `name`. */
function nodeConforms(name, value) {
  check(node, join(nodeRoot, `${name}.schema.yaml`), value);
}

function check(ajv, file, value) {
  const validate = ajv.getSchema(pathToFileURL(file).href);
  assert.ok(validate, `no schema ${file}`);
  assert.ok(validate(value), `${file}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}

// --- The server ------------------------------------------------------------------

let server;
let baseUrl;
let workdir;
const network = () => ({ ...STACKS_TESTNET, client: { baseUrl } });
const client = () => ({ baseUrl });

const deployerKey = makeRandomPrivKey();
const patientKey = makeRandomPrivKey();
const providerKey = makeRandomPrivKey();
const deployer = getAddressFromPrivateKey(deployerKey, "testnet");
const patient = getAddressFromPrivateKey(patientKey, "testnet");
const provider = getAddressFromPrivateKey(providerKey, "testnet");

before(async () => {
  if (!existsSync(binary)) {
    throw new Error(`no clarimed binary at ${binary}: run \`cargo build\` first, or set CLARIMED_BIN`);
  }
  workdir = mkdtempSync(join(tmpdir(), "clarimed-stacksjs-"));
  const db = join(workdir, "state.db");
  execFileSync(binary, ["--db", db, "init", "--deployer", deployer]);
  ({ server, baseUrl } = await startServe(binary, db, ["--block-per-tx"]));
});

after(async () => {
  const stopped = await stopServe(server);
  if (stopped !== null) assert.equal(stopped, 0, "clarimed serve stops cleanly on SIGTERM");
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

async function getJson(path) {
  const response = await fetch(`${baseUrl}${path}`);
  return { status: response.status, body: await response.json() };
}

/** Polls a transaction's outcome until it is mined (bounded: 10 s). */
async function outcome(txid) {
  for (let i = 0; i < 500; i++) {
    const { status, body } = await getJson(`/extended/v1/tx/0x${txid}`);
    assert.equal(status, 200);
    if (body.tx_status !== "pending") {
      conforms("entities/transactions/transaction.schema.json", body);
      return body;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${txid} still pending after 10 s`);
}

let nextNonce = { [patient]: 0n, [provider]: 0n };

/** A public call signed by `key`, sent, and mined; its outcome. */
async function transact(key, contractName, functionName, functionArgs, { fetchFeeAndNonce = false, postConditions = [] } = {}) {
  const sender = getAddressFromPrivateKey(key, "testnet");
  const given = fetchFeeAndNonce ? {} : { fee: 10_000n, nonce: nextNonce[sender] };
  const transaction = await makeContractCall({
    contractAddress: deployer,
    contractName,
    functionName,
    functionArgs,
    senderKey: key,
    network: network(),
    client: client(),
    postConditionMode: PostConditionMode.Deny,
    postConditions,
    ...given,
  });
  if (fetchFeeAndNonce) {
    assert.equal(transaction.auth.spendingCondition.nonce, nextNonce[sender], "the fetched nonce is the account's next");
    assert.ok(transaction.auth.spendingCondition.fee > 0n, "a fee was fetched");
  }
  const sent = await broadcastTransaction({ transaction, network: network(), client: client() });
  assert.equal(sent.txid, transaction.txid(), JSON.stringify(sent));
  nextNonce[sender] += 1n;
  return outcome(sent.txid);
}

/** The key of the patient's consent to the provider for `dataType`. */
const consentKey = (dataType) => Cl.tuple({ patient: Cl.principal(patient), provider: Cl.principal(provider), "data-type": Cl.uint(dataType) });

const consentEntry = (dataType) =>
  fetchContractMapEntry({
    contractAddress: deployer,
    contractName: "patient-consent",
    mapName: "consents",
    mapKey: consentKey(dataType),
    network: network(),
    client: client(),
  });

const checkAccess = (recordId) =>
  fetchCallReadOnlyFunction({
    contractAddress: deployer,
    contractName: "record-management",
    functionName: "check-access",
    functionArgs: [Cl.uint(recordId), Cl.principal(provider), Cl.uint(0)],
    senderAddress: provider,
    network: network(),
    client: client(),
  });

const dataHash = "ab".repeat(32);
const checksum = new Uint8Array(32).fill(7);

// --- The journey -----------------------------------------------------------------

test("the patient journey runs through stacks.js", async () => {
  const registered = await transact(patientKey, "patient-consent", "register-patient", [
    Cl.stringAscii("PAT-0001"),
    Cl.uint(19800412),
    Cl.none(),
    Cl.none(),
  ]);
  assert.equal(registered.tx_status, "success");
  assert.equal(registered.tx_result.repr, "(ok true)");

  // Fee and nonce both fetched by stacks.js.
  const consented = await transact(
    patientKey,
    "patient-consent",
    "grant-consent",
    [Cl.principal(provider), Cl.uint(1), Cl.none(), Cl.stringAscii("ongoing care")],
    { fetchFeeAndNonce: true },
  );
  assert.equal(consented.tx_status, "success");

  const granted = await transact(patientKey, "record-management", "grant-provider-access", [
    Cl.principal(patient),
    Cl.principal(provider),
    Cl.uint(0),
    Cl.none(),
    Cl.bool(false),
  ]);
  assert.equal(granted.tx_status, "success");

  const message = Cl.tuple({
    patient: Cl.principal(patient),
    "record-type": Cl.uint(1),
    "data-hash": Cl.stringAscii(dataHash),
    checksum: Cl.buffer(checksum),
  });
  const digest = createHash("sha256").update(Buffer.from(serializeCV(message), "hex")).digest("hex");
  const signature = signMessageHashRsv({ messageHash: digest, privateKey: patientKey });
  const created = await transact(patientKey, "record-management", "create-record", [
    Cl.principal(patient),
    Cl.uint(1),
    Cl.stringAscii("Visit summary"),
    Cl.stringAscii(dataHash),
    Cl.buffer(checksum),
    Cl.none(),
    Cl.uint(0),
    Cl.bufferFromHex(signature),
    Cl.bufferFromHex(privateKeyToPublic(patientKey)),
  ]);
  assert.equal(created.tx_status, "success", JSON.stringify(created.tx_result));
  assert.equal(created.tx_result.repr, "(ok u1)");
  assert.equal(created.events[0].contract_log.contract_id, `${deployer}.record-management`);

  // The provider reads the record in a transaction of its own.
  const read = await transact(providerKey, "record-management", "get-record", [Cl.uint(1)]);
  assert.equal(read.tx_status, "success");

  assert.deepEqual(await checkAccess(1), Cl.ok(Cl.uint(0)));
  const consent = await consentEntry(1);
  assert.equal(consent.type, "some");
  assert.deepEqual(consent.value.value.purpose, Cl.stringAscii("ongoing care"));

  const revoked = await transact(patientKey, "patient-consent", "revoke-consent", [Cl.principal(provider), Cl.uint(1)]);
  assert.equal(revoked.tx_status, "success");
  assert.equal((await checkAccess(1)).type, "err");

  // A post-condition that the patient sends STX fails: nothing moves.
  const stx = Pc.principal(patient).willSendGte(1).ustx();
  const aborted = await transact(
    patientKey,
    "patient-consent",
    "grant-consent",
    [Cl.principal(provider), Cl.uint(2), Cl.none(), Cl.stringAscii("labs")],
    { postConditions: [stx] },
  );
  assert.equal(aborted.tx_status, "abort_by_post_condition");
  assert.equal((await consentEntry(2)).type, "none");
});

// --- The read routes against the published schemas ------------------------------

test("the read routes answer in the published shapes", async () => {
  const info = await getJson("/v2/info");
  nodeConforms("node-info", info.body);

  const account = await getJson(`/v2/accounts/${patient}?proof=0`);
  nodeConforms("account-data", account.body);
  assert.equal(BigInt(account.body.nonce), nextNonce[patient]);

  const nonces = await getJson(`/extended/v1/address/${patient}/nonces`);
  conforms("entities/address/address-nonces.schema.json", nonces.body);
  assert.equal(BigInt(nonces.body.possible_next_nonce), nextNonce[patient]);

  const source = await getJson(`/v2/contracts/source/${deployer}/patient-consent?proof=0`);
  nodeConforms("contract-source", source.body);
  assert.ok(source.body.source.includes("(define-public (register-patient"));

  const abi = await getJson(`/v2/contracts/interface/${deployer}/record-management`);
  nodeConforms("contract-interface", abi.body);

  const call = await fetch(`${baseUrl}/v2/contracts/call-read/${deployer}/patient-consent/get-patient`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sender: patient, arguments: [cvToHex(Cl.principal(patient))] }),
  });
  nodeConforms("read-only-function-result", await call.json());

  const key = cvToHex(consentKey(1));
  const entry = await fetch(`${baseUrl}/v2/map_entry/${deployer}/patient-consent/consents?proof=0`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(key),
  });
  nodeConforms("clarity-data", await entry.json());

  const paused = await getJson(`/v2/data_var/${deployer}/patient-consent/paused?proof=0`);
  assert.equal(paused.status, 200);
  nodeConforms("clarity-data", paused.body);
  assert.equal(paused.body.data, cvToHex(Cl.bool(false)));

  const fee = await fetch(`${baseUrl}/v2/fees/transfer`);
  assert.equal(await fee.json(), 1);

  // grant-consent was mined, so its cost is known.
  const unsigned = await makeContractCall({
    contractAddress: deployer,
    contractName: "patient-consent",
    functionName: "grant-consent",
    functionArgs: [Cl.principal(provider), Cl.uint(3), Cl.none(), Cl.stringAscii("imaging")],
    senderKey: patientKey,
    network: network(),
    client: client(),
    fee: 1n,
    nonce: 0n,
  });
  const estimate = await fetch(`${baseUrl}/v2/fees/transaction`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ transaction_payload: serializePayload(unsigned.payload), estimated_len: estimateTransactionByteLength(unsigned) }),
  });
  assert.equal(estimate.status, 200);
  const estimated = await estimate.json();
  nodeConforms("fee-transaction-response", estimated);
  assert.ok(estimated.estimated_cost.runtime > 0);
});

// --- Refusals --------------------------------------------------------------------

test("refused transactions get the node's rejection and change nothing", async () => {
  const before = await getJson(`/v2/accounts/${patient}?proof=0`);
  const call = (overrides) =>
    makeContractCall({
      contractAddress: deployer,
      contractName: "patient-consent",
      functionName: "update-patient-preferences",
      functionArgs: [Cl.bool(true), Cl.bool(false), Cl.bool(false)],
      senderKey: patientKey,
      network: network(),
      client: client(),
      fee: 10_000n,
      nonce: nextNonce[patient],
      ...overrides,
    });
  const tampered = await call({});
  // The signature's last byte of r: it no longer recovers the signer.
  tampered.auth.spendingCondition.signature.data = tampered.auth.spendingCondition.signature.data.slice(0, 60) + "00" + tampered.auth.spendingCondition.signature.data.slice(62);
  const cases = [
    ["BadNonce", await call({ nonce: 0n })],
    ["SignatureValidation", tampered],
    ["NoSuchContract", await call({ contractName: "no-such-contract" })],
    ["NoSuchPublicFunction", await call({ functionName: "get-patient", functionArgs: [Cl.principal(patient)] })],
    ["SignatureValidation", await call({ network: { ...STACKS_TESTNET, chainId: 1, client: { baseUrl } } })],
  ];
  for (const [reason, transaction] of cases) {
    const answer = await broadcastTransaction({ transaction, network: network(), client: client() });
    nodeConforms("transaction-submission-error", answer);
    assert.equal(answer.reason, reason, JSON.stringify(answer));
    assert.equal(answer.error, "transaction rejected");
    assert.equal(answer.txid, transaction.txid());
  }
  const after = await getJson(`/v2/accounts/${patient}?proof=0`);
  assert.deepEqual(after.body, before.body);
  const nonces = await getJson(`/extended/v1/address/${patient}/nonces`);
  assert.equal(nonces.body.last_mempool_tx_nonce, null);
});
