// The patient journey on Clarinet's simnet, which runs the contracts on Clarinet's
// own Clarity VM with the chain's own `costs-3`: every call's result and cost must
// be the native engine's, as recorded in journey.json (which a Rust test keeps equal
// to what the native engine gives).
//
// One known difference is allowed for, and only that one: simnet deploys a contract
// with a contract-data-size of 0 where a node records the size of its constants, so
// each contract load simnet charges is short by that contract's constants size, in
// runtime and in read_length alike. A call loads the contract it calls once, plus
// patient-consent once per `contract-call?`; the check solves for that count (the
// "calls" column) and requires every other dimension to be equal.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { initSimnet } from "@stacks/clarinet-sdk";
import { Cl, cvToHex, hexToCV } from "@stacks/transactions";
import { contractCallsExplaining, simnetCost } from "./shortfall.mjs";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const fixture = JSON.parse(readFileSync(here("./journey.json"), "utf8"));
const simnet = await initSimnet(here("../contracts/Clarinet.toml"), true, { trackCosts: true, trackCoverage: false });

// The journey's owner takes over both contracts from simnet's deployer.
for (const contract of ["patient-consent", "record-management"]) {
  const handed = simnet.callPublicFn(contract, "transfer-ownership", [Cl.principal(fixture.owner)], simnet.deployer);
  if (cvToHex(handed.result) !== "0x0703") {
    throw new Error(`${contract}: transfer-ownership to ${fixture.owner} failed`);
  }
}

let failures = 0;
let compared = 0;
console.log("step  function                                  native runtime  simnet runtime  calls  result");
fixture.steps.forEach((step, index) => {
  if (!step.call) return;
  const call = step.call;
  // A public call runs in the next block; a read-only one at the tip.
  const target = call.read_only ? call.height : call.height - 1;
  if (simnet.blockHeight > target) {
    throw new Error(`step ${index + 1}: simnet is at block ${simnet.blockHeight}, past ${target}`);
  }
  if (target > simnet.blockHeight) simnet.mineEmptyBlocks(target - simnet.blockHeight);
  const args = call.args.map((hex) => hexToCV(hex));
  const run = call.read_only ? simnet.callReadOnlyFn : simnet.callPublicFn;
  const outcome = run.call(simnet, call.contract, call.function, args, call.sender);
  const result = cvToHex(outcome.result);
  const cost = simnetCost(outcome.costs);
  const loads = contractCallsExplaining(call.contract, call.cost, cost, fixture.constants_size);
  const problems = [];
  if (result !== call.result) problems.push(`result ${result} on simnet, ${call.result} natively`);
  if (loads.error) problems.push(loads.error);
  compared += 1;
  if (problems.length) failures += 1;
  const name = `${call.contract}.${call.function}`;
  const status = problems.length ? `MISMATCH: ${problems.join("; ")}` : "same";
  console.log(
    `${String(index + 1).padStart(4)}  ${name.padEnd(40)}  ${String(call.cost.runtime).padStart(14)}  ${String(cost.runtime).padStart(14)}  ${String(loads.calls ?? "-").padStart(5)}  ${status}`,
  );
});
console.log(`\n${compared} calls compared, ${failures} differ (runtime, read_count, read_length, write_count, write_length)`);
process.exit(failures === 0 ? 0 : 1);
