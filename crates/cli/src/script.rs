//! `clarimed run`: a Clarity script of calls and mined blocks, run against the state
//! one durable transaction per step, or N steps per durable commit
//! (`--commit-every N`), the next N running while they are written.
//!
//! The script is what the conformance runner prints for a divergence (and what a
//! Clarinet console takes), so a divergence replays on a state file:
//!
//! ```text
//! ;; a comment
//! ::set_tx_sender ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5 ;; patient-1
//! (contract-call? .patient-consent register-patient "PAT-1" u19800412 none none)
//! ::advance_chain_tip 5
//! ::advance_stacks_chain_tip 2
//! ```
//!
//! As in Clarinet's console, `::advance_burn_chain_tip N` (and its older name
//! `::advance_chain_tip N`) starts N new tenures of one Stacks block each, and
//! `::advance_stacks_chain_tip N` mines N Stacks blocks in the current tenure.
//!
//! A step is a call or a mining; `::set_tx_sender` only names who sends the calls
//! after it (until the first one, the deployer, as in a Clarinet console). The whole
//! script is parsed and checked against the contracts' signatures before the first
//! step runs, so a bad line changes nothing.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use clarimed_engine::clarity::{PrincipalData, QualifiedContractIdentifier, Value};
use clarimed_engine::table::Access;
use clarimed_engine::{
    check_arguments, literal_value, parse_expressions, parse_principal, to_literal, CallOutput, Engine, EngineError, Principal, SqliteStore, Submitted, Tip,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::commands::output_json;
use crate::state::{failure, open, Failure};

/// One step of a script.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The script line it comes from (1-based).
    pub line: usize,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A call of `contract`'s `function`; `sender` `None` is the deployer.
    Call { sender: Option<Principal>, contract: String, function: String, args: Vec<Value> },
    /// `::advance_burn_chain_tip N` or `::advance_chain_tip N`: N new tenures.
    NewTenures(u32),
    /// `::advance_stacks_chain_tip N`: N Stacks blocks in the current tenure.
    StacksBlocks(u32),
}

/// Every step of `script`, or `line N: reason` for its first bad line.
pub fn parse(script: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut sender = None;
    for (index, text) in script.lines().enumerate() {
        let line = index + 1;
        let action = parse_line(text, &mut sender).map_err(|reason| format!("line {line}: {reason}"))?;
        steps.extend(action.map(|action| Step { line, action }));
    }
    Ok(steps)
}

/// The line's step, if it is one; `::set_tx_sender` changes `sender` instead.
fn parse_line(text: &str, sender: &mut Option<Principal>) -> Result<Option<Action>, String> {
    let code = text.trim();
    if code.is_empty() || code.starts_with(";;") {
        return Ok(None);
    }
    if let Some(command) = code.strip_prefix("::") {
        let command = command.split(";;").next().unwrap_or_default();
        let words: Vec<&str> = command.split_whitespace().collect();
        return match words.as_slice() {
            ["set_tx_sender", principal] => {
                let principal = parse_principal(principal).map_err(|_| format!("`{principal}` is not a principal"))?;
                *sender = Some(principal);
                Ok(None)
            }
            [advance @ ("advance_chain_tip" | "advance_burn_chain_tip" | "advance_stacks_chain_tip"), blocks] => {
                let blocks = blocks.parse().map_err(|_| format!("`{blocks}` is not a number of blocks"))?;
                Ok(Some(if *advance == "advance_stacks_chain_tip" { Action::StacksBlocks(blocks) } else { Action::NewTenures(blocks) }))
            }
            ["set_tx_sender", ..] => Err("::set_tx_sender takes one principal".to_string()),
            [advance @ ("advance_chain_tip" | "advance_burn_chain_tip" | "advance_stacks_chain_tip"), ..] => {
                Err(format!("::{advance} takes one number of blocks"))
            }
            _ => Err(format!(
                "unknown command `::{}` (expected ::set_tx_sender, ::advance_burn_chain_tip, ::advance_stacks_chain_tip or ::advance_chain_tip)",
                command.trim()
            )),
        };
    }
    if code.starts_with('(') {
        return contract_call(code, sender.clone()).map(Some);
    }
    Err("expected (contract-call? …), ::set_tx_sender, ::advance_burn_chain_tip, ::advance_stacks_chain_tip or ::advance_chain_tip".to_string())
}

/// `(contract-call? .CONTRACT FUNCTION ARG …)`, parsed by clarity-vm's own parser
/// (which also drops a trailing `;;` comment).
fn contract_call(code: &str, sender: Option<Principal>) -> Result<Action, String> {
    const EXPECTED: &str = "expected (contract-call? .CONTRACT FUNCTION ARG …)";
    let transient = QualifiedContractIdentifier::transient();
    let expressions = parse_expressions(code).map_err(|e| e.to_string())?;
    let [expression] = expressions.as_slice() else {
        return Err(format!("{EXPECTED}, one per line"));
    };
    let Some([head, contract, function, args @ ..]) = expression.match_list() else {
        return Err(EXPECTED.to_string());
    };
    if head.match_atom().map(|name| name.as_str()) != Some("contract-call?") {
        return Err(EXPECTED.to_string());
    }
    // `.name` parses as a contract of the transient issuer; the state's deployer is
    // the issuer meant, so a fully qualified name could only name it wrongly.
    let contract = match literal_value(contract) {
        Ok(Value::Principal(PrincipalData::Contract(id))) if id.issuer == transient.issuer => id.name.to_string(),
        _ => return Err("name the contract as .patient-consent or .record-management".to_string()),
    };
    let function = function.match_atom().ok_or(EXPECTED)?.to_string();
    let args = args.iter().map(literal_value).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    // Refused before anything runs, as the engine would refuse it when the step came.
    check_arguments(&contract, &function, &args).map_err(|e| e.to_string())?;
    Ok(Action::Call { sender, contract, function, args })
}

/// The script at `path`, or on stdin for `-`.
fn read_script(path: &str) -> Result<String, String> {
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(drop)
    } else {
        std::fs::File::open(path).and_then(|mut file| file.read_to_string(&mut text)).map(drop)
    };
    read.map_err(|e| format!("cannot read the script {path}: {e}"))?;
    Ok(text)
}

/// Runs the steps of the script at `script` from step `from` (1-based) on the state
/// at `db`, printing one line per step as soon as its transaction is committed;
/// with `block_per_call`, one Stacks block is mined in the current tenure before each
/// call (as Clarinet's simnet's `callPublicFn` does). A contract's `err` is a result
/// like any other: the run goes on, and exits 0.
///
/// With `commit_every` N above 1, every N steps are committed together, and the
/// next N run while they are written ([`Commits`]).
pub fn run(db: &Path, script: &str, from: u64, block_per_call: bool, commit_every: usize, json: bool) -> Result<ExitCode, Failure> {
    let steps = parse(&read_script(script)?)?;
    let skipped = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
    if skipped > steps.len() {
        return Err(format!("--from {from}: the script has {} steps", steps.len()).into());
    }
    let engine = open(db)?;
    let bar = progress(steps.len(), skipped);
    let mut commits = Commits::new(&engine, commit_every, &bar);
    for (index, step) in steps.iter().enumerate().skip(skipped) {
        let number = index + 1;
        let failed = |e: EngineError| failure(db, &e).at(format_args!("step {number} (line {})", step.line));
        let report = match &step.action {
            Action::Call { sender, contract, function, args } => {
                if clarimed_engine::table::find(contract, function).is_ok_and(|row| row.access == Access::ReadOnly) {
                    // A read-only call reads the committed state: the steps before it first.
                    commits.flush().map_err(failed)?;
                }
                let called = (|| {
                    commits.ready()?;
                    if block_per_call {
                        engine.mine_in_tenure(1)?;
                    }
                    let sender = sender.clone().unwrap_or_else(|| engine.deployer().clone());
                    engine.call(&sender, contract, function, args)
                })();
                let output = called.map_err(|e| commits.stop(failed(e), db))?;
                call_report(number, step.line, engine.tip(), &output, json)
            }
            Action::NewTenures(blocks) | Action::StacksBlocks(blocks) => {
                let tenures = matches!(step.action, Action::NewTenures(_));
                let mined = commits.ready().and_then(|()| if tenures { engine.mine(*blocks) } else { engine.mine_in_tenure(*blocks) });
                mined.map_err(|e| commits.stop(failed(e), db))?;
                let tip = engine.tip();
                let what = if tenures { "tenures" } else { "stacks-blocks" };
                if json {
                    json!({ "step": number, "line": step.line, "mined": blocks, "as": what, "block-height": tip.stacks_height, "tenure-height": tip.tenure_height })
                        .to_string()
                } else if tenures {
                    format!("step {number}: mined {blocks} tenure(s) of one block, {}", heights(&tip))
                } else {
                    format!("step {number}: mined {blocks} block(s) in the tenure, {}", heights(&tip))
                }
            }
        };
        commits.done(report).map_err(|e| failure(db, &e).at(format_args!("step {number} (line {})", step.line)))?;
    }
    commits.flush().map_err(|e| failure(db, &e))?;
    bar.finish_and_clear();
    Ok(ExitCode::SUCCESS)
}

/// How `run` commits its steps, and when it reports them: a step's line is printed
/// (and flushed) only once its transaction is durable, so whoever reads it knows
/// the step is committed.
///
/// One step at a time, each is committed as it runs. N at a time, the steps run in
/// an open block of N, which is handed to the committer when full
/// ([`Engine::submit_block`]); the next N run while it is written, and its lines
/// are printed once it is durable.
struct Commits<'a> {
    engine: &'a Engine<SqliteStore>,
    every: usize,
    bar: &'a ProgressBar,
    /// The open block's steps' lines, when steps are committed N at a time.
    open: Option<Vec<String>>,
    /// The block being written, and its steps' lines.
    in_flight: Option<(Submitted, Vec<String>)>,
}

impl<'a> Commits<'a> {
    fn new(engine: &'a Engine<SqliteStore>, every: usize, bar: &'a ProgressBar) -> Commits<'a> {
        Commits { engine, every: every.max(1), bar, open: None, in_flight: None }
    }

    /// A block open for the next step, when steps are committed N at a time.
    fn ready(&mut self) -> Result<(), EngineError> {
        if self.every > 1 && self.open.is_none() {
            self.engine.begin_block()?;
            self.open = Some(Vec::new());
        }
        Ok(())
    }

    /// A step done: its line printed now if it is committed, or kept until its block is.
    fn done(&mut self, report: String) -> Result<(), EngineError> {
        let Some(open) = &mut self.open else {
            return self.print(&[report]);
        };
        open.push(report);
        if open.len() < self.every {
            return Ok(());
        }
        let lines = std::mem::take(open);
        self.open = None;
        let submitted = self.engine.submit_block()?;
        if let Some((block, lines)) = self.in_flight.take() {
            self.engine.wait_durable(block)?;
            self.print(&lines)?;
        }
        self.in_flight = Some((submitted, lines));
        Ok(())
    }

    /// Every step run so far committed and printed.
    fn flush(&mut self) -> Result<(), EngineError> {
        if let Some((block, lines)) = self.in_flight.take() {
            self.engine.wait_durable(block)?;
            self.print(&lines)?;
        }
        if let Some(lines) = self.open.take() {
            if lines.is_empty() {
                self.engine.abort_block()?;
            } else {
                self.engine.commit_block()?;
                self.print(&lines)?;
            }
        }
        Ok(())
    }

    /// The run stops at a step that failed (which changed nothing): the steps
    /// before it are committed and printed first, so `--from` that step goes on.
    fn stop(&mut self, failed: Failure, db: &Path) -> Failure {
        match self.flush() {
            Ok(()) => failed,
            Err(error) => failure(db, &error),
        }
    }

    fn print(&self, lines: &[String]) -> Result<(), EngineError> {
        let mut stdout = std::io::stdout().lock();
        for line in lines {
            // Flushed at once: whoever reads this knows the step is committed.
            self.bar
                .suspend(|| writeln!(stdout, "{line}").and_then(|()| stdout.flush()))
                .map_err(|e| EngineError::Internal(format!("cannot write to stdout: {e}")))?;
            self.bar.inc(1);
        }
        Ok(())
    }
}

/// A call's line: its result and cost, at the block it ran in (its events are in
/// the JSON form). `block-height` is the Stacks height, as simnet's `blockHeight`.
fn call_report(number: usize, line: usize, tip: Tip, output: &CallOutput, json: bool) -> String {
    if json {
        let mut report = output_json(output);
        report["step"] = json!(number);
        report["line"] = json!(line);
        report["block-height"] = json!(tip.stacks_height);
        report["tenure-height"] = json!(tip.tenure_height);
        report.to_string()
    } else {
        format!("step {number}: [block {}, tenure {}] {}\n  cost {}", tip.stacks_height, tip.tenure_height, to_literal(&output.value), output.cost)
    }
}

/// Both heights, as a step's line gives them.
pub fn heights(tip: &Tip) -> String {
    format!("block height {}, tenure height {}", tip.stacks_height, tip.tenure_height)
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
fn progress(steps: usize, done: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps as u64).with_position(done as u64);
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} steps, eta {eta}").expect("a valid progress template"));
    bar
}

#[cfg(test)]
mod tests {
    use super::{parse, Action};

    const PATIENT: &str = "ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5";

    #[test]
    fn a_divergence_script_parses_into_its_steps() {
        let script = format!(
            ";; the calls that lead to it:\n::set_tx_sender {PATIENT} ;; patient-1\n(contract-call? .patient-consent register-patient \"PAT-1\" u19800412 none none)\n\n::advance_chain_tip 5\n"
        );
        let steps = parse(&script).unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].line, 3);
        let Action::Call { sender, contract, function, args } = &steps[0].action else { panic!("a call: {:?}", steps[0]) };
        assert_eq!((contract.as_str(), function.as_str(), args.len()), ("patient-consent", "register-patient", 4));
        assert_eq!(sender.as_ref().map(clarimed_engine::principal_to_string).as_deref(), Some(PATIENT));
        assert_eq!((steps[1].line, &steps[1].action), (5, &Action::NewTenures(5)));
    }

    #[test]
    fn tenures_and_stacks_blocks_are_mined_as_clarinets_console_names_them() {
        let steps = parse("::advance_burn_chain_tip 3\n::advance_stacks_chain_tip 2\n::advance_chain_tip 1").unwrap();
        let actions: Vec<&Action> = steps.iter().map(|step| &step.action).collect();
        assert_eq!(actions, [&Action::NewTenures(3), &Action::StacksBlocks(2), &Action::NewTenures(1)]);
        assert!(parse("::advance_stacks_chain_tip").unwrap_err().contains("::advance_stacks_chain_tip takes one number of blocks"));
    }

    #[test]
    fn a_call_before_any_sender_is_the_deployers() {
        let steps = parse("(contract-call? .patient-consent set-paused true)").unwrap();
        assert!(matches!(&steps[0].action, Action::Call { sender: None, .. }));
    }

    #[test]
    fn a_bad_line_is_refused_with_its_number_and_reason() {
        let cases = [
            ("::advance_chain_tip many", "line 1: `many` is not a number of blocks"),
            ("::set_tx_sender nobody", "line 1: `nobody` is not a principal"),
            ("::deploy x", "line 1: unknown command `::deploy x`"),
            ("\n\nregister-patient", "line 3: expected (contract-call? …)"),
            ("(contract-call? .no-such-contract f)", "line 1: unknown contract `no-such-contract`"),
            ("(contract-call? 'ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.patient-consent set-paused true)", "line 1: name the contract as .patient-consent"),
            ("(contract-call? .patient-consent steal-records)", "line 1: patient-consent has no public or read-only function `steal-records`"),
            ("(contract-call? .patient-consent set-paused)", "line 1: set-paused takes 1 argument(s), 0 given"),
            ("(contract-call? .patient-consent set-paused u1)", "line 1: set-paused: argument `new-paused` must be bool, not uint"),
            ("(contract-call? .patient-consent set-paused (+ u1 u2))", "line 1: `(+ …)` is not a literal form"),
            ("(contract-call? .patient-consent set-paused true", "line 1: does not parse"),
            ("(some u1)", "line 1: expected (contract-call?"),
        ];
        for (script, reason) in cases {
            let error = parse(script).expect_err(script);
            assert!(error.starts_with(reason), "{script}: {error}");
        }
    }
}
