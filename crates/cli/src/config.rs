//! `--config FILE` for `serve` and `follow`: a TOML file whose keys are the
//! command's flags by their long names (`block-time = 1000`, `listen =
//! "127.0.0.1:3999"`, `block-per-tx = true`), and the global `db` and `json`. A
//! flag given on the command line wins over the file.
//!
//! The file's values become arguments, added to the command line for the flags it
//! does not give, and clap parses the whole: each value is read by its flag's own
//! parser, so the file takes exactly what the command line takes, with the same
//! defaults, ranges and conflicts. An unknown key, a value of the wrong kind, or one
//! the flag refuses is refused at start, naming the file's line and the key.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};
use toml::Spanned;

use crate::state::Failure;

/// The subcommands that read a config file.
const READERS: [&str; 2] = ["serve", "follow"];

/// The flag naming the file, and clap's id for it.
const CONFIG: &str = "config";

/// `command` with `--config FILE` on the subcommands that read one.
pub fn command(command: Command) -> Command {
    READERS.iter().fold(command, |command, name| {
        command.mut_subcommand(name, |subcommand| {
            subcommand.arg(
                Arg::new(CONFIG)
                    .long(CONFIG)
                    .value_name("FILE")
                    .value_parser(clap::value_parser!(PathBuf))
                    .help("Read the options from FILE (TOML: each key a flag's long name, `db` the state file); a flag given here wins over the file"),
            )
        })
    })
}

/// The command line with the config file's values added, and where each came from.
pub struct Merged {
    /// What clap parses.
    pub args: Vec<OsString>,
    /// The file, if one was read.
    file: Option<PathBuf>,
    /// Each flag taken from the file, by its long name (the key): its line.
    from_file: BTreeMap<String, usize>,
}

/// `args` (the program's, its name first) with the values of the `--config` file
/// that `serve` or `follow` names added as flags, for those the command line does
/// not give. `command` is [`command`]'s.
pub fn merge(command: &Command, args: Vec<OsString>) -> Result<Merged, Failure> {
    let unchanged = |args| Ok(Merged { args, file: None, from_file: BTreeMap::new() });
    // A first reading, only to find the file and the flags given: whatever is
    // wrong with the command line is clap's to say, in the reading that counts.
    let Ok(matches) = command.clone().ignore_errors(true).try_get_matches_from(&args) else {
        return unchanged(args);
    };
    let Some((name, given)) = matches.subcommand().filter(|(name, _)| READERS.contains(name)) else {
        return unchanged(args);
    };
    let Some(file) = given.get_one::<PathBuf>(CONFIG).cloned() else {
        return unchanged(args);
    };
    let mut built = command.clone();
    built.build();
    let subcommand = built.find_subcommand(name).expect("a reader is a subcommand");
    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read the config file {}: {e}", file.display()))?;
    let at = |offset: usize| format!("{}:{}", file.display(), line_of(&text, offset));
    let table: BTreeMap<Spanned<String>, Spanned<toml::Value>> = toml::from_str(&text).map_err(|error| {
        let place = error.span().map_or_else(|| file.display().to_string(), |span| at(span.start));
        format!("{place}: {}", error.message().trim().replace('\n', "; "))
    })?;
    let mut entries: Vec<_> = table.iter().collect();
    // In the file's order: of two keys that conflict, the later is named.
    entries.sort_by_key(|(key, _)| key.span().start);
    let mut merged = Merged { args, file: Some(file.clone()), from_file: BTreeMap::new() };
    for (key, value) in entries {
        let place = at(key.span().start);
        let arg = keyed(subcommand, key.get_ref()).ok_or_else(|| {
            let keys: Vec<&str> = subcommand.get_arguments().filter_map(|arg| keyed(subcommand, arg.get_long()?)).filter_map(Arg::get_long).collect();
            format!("{place}: unknown key `{}` ({name} takes: {})", key.get_ref(), keys.join(", "))
        })?;
        if on_command_line(subcommand, given, arg) {
            continue;
        }
        let flag = format!("--{}", key.get_ref());
        match (arg.get_action(), value.get_ref()) {
            (ArgAction::SetTrue, toml::Value::Boolean(set)) => {
                if *set {
                    merged.args.push(flag.into());
                }
            }
            (ArgAction::SetTrue, _) => return Err(format!("{place}: {}: expected true or false", key.get_ref()).into()),
            (_, toml::Value::String(string)) => merged.args.extend([flag.into(), string.into()]),
            (_, toml::Value::Integer(number)) => merged.args.extend([flag.into(), number.to_string().into()]),
            // As written: `3.0` is the epoch 3.0, not 3.
            (_, toml::Value::Float(_)) => merged.args.extend([flag.into(), text.get(value.span()).unwrap_or_default().trim().into()]),
            (_, toml::Value::Datetime(instant)) => merged.args.extend([flag.into(), instant.to_string().into()]),
            (_, toml::Value::Boolean(_)) => return Err(format!("{place}: {}: expected a string, a number or a date, not true or false", key.get_ref()).into()),
            (_, toml::Value::Array(_)) => return Err(format!("{place}: {}: expected one value, not an array", key.get_ref()).into()),
            (_, toml::Value::Table(_)) => {
                return Err(format!("{place}: {}: expected a value, not a table (every key is at the top of the file)", key.get_ref()).into())
            }
        }
        merged.from_file.insert(key.get_ref().clone(), line_of(&text, key.span().start));
    }
    Ok(merged)
}

impl Merged {
    /// clap's refusal of the merged command line, as one line naming the file's
    /// line and the key, when the flag refused came from the file.
    pub fn refusal(&self, error: &clap::Error) -> Option<Failure> {
        let flag = match error.get(ContextKind::InvalidArg)? {
            ContextValue::String(shown) => shown.split([' ', '=']).next().unwrap_or_default().trim_start_matches('-'),
            _ => return None,
        };
        let (file, line) = (self.file.as_ref()?, self.from_file.get(flag)?);
        let detail = error.to_string();
        let detail = detail.lines().next().unwrap_or_default().trim_start_matches("error: ");
        Some(format!("{}:{line}: {flag}: {detail}", file.display()).into())
    }
}

/// The argument of `subcommand` whose long name is `key`, if the file may set it.
fn keyed<'a>(subcommand: &'a Command, key: &str) -> Option<&'a Arg> {
    let arg = subcommand.get_arguments().find(|arg| arg.get_long() == Some(key))?;
    let settable = !matches!(arg.get_action(), ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version) && key != CONFIG;
    settable.then_some(arg)
}

/// Whether the command line gives `arg`, or a flag it cannot be used with.
fn on_command_line(subcommand: &Command, given: &ArgMatches, arg: &Arg) -> bool {
    let typed = |other: &Arg| given.value_source(other.get_id().as_str()) == Some(ValueSource::CommandLine);
    typed(arg)
        || subcommand.get_arg_conflicts_with(arg).into_iter().any(typed)
        || subcommand
            .get_arguments()
            .any(|other| typed(other) && subcommand.get_arg_conflicts_with(other).iter().any(|conflict| conflict.get_id() == arg.get_id()))
}

/// The 1-based line of the byte at `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.bytes().take(offset).filter(|byte| *byte == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use clap::{CommandFactory, FromArgMatches};

    use super::*;
    use crate::Cli;

    /// `args` (after the program's name) with `--config FILE`, FILE holding
    /// `config`, parsed as `main` parses them; a refusal as its line.
    fn parsed(args: &[&str], config: &str) -> (Result<Cli, String>, tempfile::NamedTempFile) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(config.as_bytes()).unwrap();
        let args = std::iter::once("clarimed").chain(args.iter().copied()).map(OsString::from).chain(["--config".into(), file.path().into()]).collect();
        (parse(args), file)
    }

    fn parse(args: Vec<OsString>) -> Result<Cli, String> {
        let command = command(Cli::command());
        let merged = merge(&command, args).map_err(String::from)?;
        match command.try_get_matches_from(&merged.args).and_then(|matches| Cli::from_arg_matches(&matches)) {
            Ok(cli) => Ok(cli),
            Err(error) => Err(merged.refusal(&error).map(String::from).unwrap_or_else(|| format!("not the file's: {error}"))),
        }
    }

    /// `serve`'s options, as `main` reads them.
    struct Serve {
        db: Option<PathBuf>,
        json: bool,
        listen: std::net::SocketAddr,
        block_time: u64,
        block_per_tx: bool,
        block_txs: u64,
        genesis: i64,
        limits: clarimed_listener::Limits,
        mempool: clarimed_node_rpc::MempoolLimits,
    }

    fn serve_options(cli: Cli) -> Serve {
        match cli.command {
            crate::Command::Serve { listen, block_time, block_per_tx, block_txs, clock, limits, mempool, .. } => Serve {
                db: cli.db,
                json: cli.json,
                listen,
                block_time,
                block_per_tx,
                block_txs,
                genesis: clock.clock().genesis,
                limits: limits.limits(),
                mempool: mempool.limits(),
            },
            _ => panic!("not serve"),
        }
    }

    #[test]
    fn the_files_values_apply_and_the_flags_it_does_not_give_keep_their_defaults() {
        let config = r#"
            db = "shared.db"              # the global --db
            json = true
            listen = "127.0.0.1:4000"
            block-time = 250
            block-txs = 7
            genesis = 2024-01-01T00:00:00Z  # a TOML date, or the same as a string
            idle-timeout = 5
            mempool-max-bytes = 1_000_000
        "#;
        let (cli, _file) = parsed(&["serve"], config);
        let serve = serve_options(cli.unwrap());
        assert_eq!((serve.db, serve.json), (Some(PathBuf::from("shared.db")), true));
        assert_eq!((serve.listen.to_string().as_str(), serve.block_time, serve.block_per_tx, serve.block_txs), ("127.0.0.1:4000", 250, false, 7));
        assert_eq!(serve.genesis, clarimed_fhir::clock::parse_instant("2024-01-01T00:00:00Z").unwrap());
        assert_eq!((serve.limits.idle_timeout.as_secs(), serve.mempool.max_bytes), (5, 1_000_000));
        assert_eq!(serve.limits.header_timeout, clarimed_listener::DEFAULT_HEADER_TIMEOUT, "a flag the file does not give keeps its default");
    }

    #[test]
    fn a_flag_given_on_the_command_line_wins_over_the_file() {
        let config = "db = \"file.db\"\nblock-time = 250\nblock-txs = 7\n";
        let (cli, _file) = parsed(&["--db", "flag.db", "serve", "--block-txs", "9"], config);
        let serve = serve_options(cli.unwrap());
        assert_eq!((serve.db, serve.block_time, serve.block_txs), (Some(PathBuf::from("flag.db")), 250, 9));

        // Even over a key the flag cannot be used with: the file's is left out.
        let (cli, _file) = parsed(&["serve", "--block-per-tx"], config);
        assert!(serve_options(cli.unwrap()).block_per_tx);
    }

    #[test]
    fn follows_keys_are_its_flags_and_a_number_is_read_as_written() {
        let config = "contracts = \"ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM\"\nepoch = 3.0\non-mismatch = \"stop\"\nhealth-max-block-age = 0\n";
        let (cli, file) = parsed(&["follow"], config);
        assert!(matches!(cli, Ok(Cli { command: crate::Command::Follow(_), .. })), "{:?}", cli.err());
        let command = command(Cli::command());
        let args = ["clarimed", "follow", "--config"].into_iter().map(OsString::from).chain([file.path().into()]).collect();
        let merged = merge(&command, args).map_err(String::from).unwrap();
        let added: Vec<String> = merged.args[4..].iter().map(|arg| arg.to_string_lossy().into_owned()).collect();
        assert_eq!(
            added,
            ["--contracts", "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM", "--epoch", "3.0", "--on-mismatch", "stop", "--health-max-block-age", "0"]
        );
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let (cli, file) = parsed(&["serve"], "listen = \"127.0.0.1:4000\"\n\nblock-tme = 5\n");
        let refusal = cli.err().unwrap();
        assert!(refusal.starts_with(&format!("{}:3: unknown key `block-tme` (serve takes: ", file.path().display())), "{refusal}");
        assert!(refusal.contains("block-time"), "the keys it takes are listed: {refusal}");

        let (cli, file) = parsed(&["serve"], "config = \"other.toml\"\n");
        assert_eq!(cli.err().unwrap().split(" (").next().unwrap(), format!("{}:1: unknown key `config`", file.path().display()));
    }

    #[test]
    fn a_bad_value_is_refused_with_its_line_and_key() {
        for (config, says) in [
            ("listen = \"127.0.0.1:4000\"\nblock-txs = 0\n", "2: block-txs: invalid value '0' for '--block-txs <N>': 0 is not in 1..=10000"),
            ("block-time = \"soon\"\n", "1: block-time: invalid value 'soon' for '--block-time <MS>'"),
            ("\n\nlisten = \"nowhere\"\n", "3: listen: invalid value 'nowhere' for '--listen <LISTEN>'"),
            ("block-per-tx = \"yes\"\n", "1: block-per-tx: expected true or false"),
            ("block-txs = [1, 2]\n", "1: block-txs: expected one value, not an array"),
            ("[idle-timeout]\nseconds = 5\n", "1: idle-timeout: expected a value, not a table"),
            ("block-time = 5\nblock-time = 6\n", "2: duplicate key `block-time`"),
            ("block-time =\n", "1: "),
            ("genesis = \"yesterday\"\n", "1: genesis: invalid value 'yesterday'"),
        ] {
            let (cli, file) = parsed(&["serve"], config);
            let refusal = cli.err().unwrap_or_else(|| panic!("{config:?} taken"));
            let expected = format!("{}:{says}", file.path().display());
            assert!(refusal.starts_with(&expected), "{config:?}: {refusal}\nnot: {expected}");
            assert_eq!(refusal.lines().count(), 1, "one line: {refusal}");
        }
    }

    #[test]
    fn of_two_keys_that_cannot_be_used_together_the_refusal_names_one_with_its_line() {
        let (cli, file) = parsed(&["serve"], "block-time = 5\nblock-per-tx = true\n");
        let refusal = cli.err().unwrap();
        let path = file.path().display().to_string();
        let named = [format!("{path}:1: block-time: "), format!("{path}:2: block-per-tx: ")];
        assert!(named.iter().any(|start| refusal.starts_with(start)) && refusal.contains("cannot be used with"), "{refusal}");
    }

    #[test]
    fn the_example_files_parse_and_name_every_flag() {
        let command = command(Cli::command());
        let mut built = command.clone();
        built.build();
        for name in READERS {
            let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples")).join(format!("{name}.toml"));
            let text = std::fs::read_to_string(&path).unwrap();
            let args = ["clarimed", name, "--config"].into_iter().map(OsString::from).chain([path.clone().into()]).collect();
            if let Err(refusal) = parse(args) {
                panic!("{}: {refusal}", path.display());
            }
            let subcommand = built.find_subcommand(name).unwrap();
            for arg in subcommand.get_arguments().filter_map(|arg| keyed(subcommand, arg.get_long()?)) {
                let key = arg.get_long().unwrap();
                let named = text.lines().any(|line| line.trim_start_matches(['#', ' ']).starts_with(&format!("{key} =")));
                assert!(named, "{}: no `{key} =` line, set or commented", path.display());
            }
        }
    }
}
