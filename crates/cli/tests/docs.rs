//! The documentation can be followed: every relative link of `README.md`, of the
//! chapters under `docs/` and of the repository's other Markdown files reaches a file
//! or directory that exists (and, with a `#anchor`, a heading of the Markdown file it
//! names), every chapter under `docs/` is linked from the README, and every
//! `clarimed <subcommand>` the docs name in code is one `clarimed --help` lists.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// What `clarimed --help` says the binary takes.
struct Cli {
    /// The subcommands of the "Commands:" section.
    subcommands: BTreeSet<String>,
    /// The global options that take a value (`--db <PATH>`), so the word after one is
    /// its value, not a subcommand.
    options_with_value: BTreeSet<String>,
}

impl Cli {
    fn from_help(help: &str) -> Cli {
        let mut subcommands = BTreeSet::new();
        let mut options_with_value = BTreeSet::new();
        let mut section = "";
        for line in help.lines() {
            if !line.starts_with(' ') {
                section = line.trim_end();
                continue;
            }
            let entry = line.trim_start();
            let head = entry.split("  ").next().unwrap_or("");
            match section {
                // A command's line is indented by two spaces; deeper lines go on its help.
                "Commands:" if line.len() - entry.len() == 2 => {
                    if let Some(name) = head.split_whitespace().next() {
                        subcommands.insert(name.to_string());
                    }
                }
                "Options:" if entry.starts_with('-') && head.contains('<') => {
                    for flag in head.split([',', ' ']).filter(|word| word.starts_with('-')) {
                        options_with_value.insert(flag.to_string());
                    }
                }
                _ => {}
            }
        }
        Cli { subcommands, options_with_value }
    }

    fn of_the_binary() -> Cli {
        let output = Command::new(env!("CARGO_BIN_EXE_clarimed")).arg("--help").output().expect("clarimed runs");
        assert!(output.status.success(), "clarimed --help: {}", String::from_utf8_lossy(&output.stderr));
        let cli = Cli::from_help(&String::from_utf8(output.stdout).expect("UTF-8"));
        for known in ["serve", "follow", "status"] {
            assert!(cli.subcommands.contains(known), "`{known}` missing from clarimed --help's commands: {:?}", cli.subcommands);
        }
        assert!(cli.options_with_value.contains("--db"), "clarimed --help's options: {:?}", cli.options_with_value);
        cli
    }
}

/// A span of code, fenced or inline, and the line (from 1) it starts on.
struct Code {
    line: usize,
    text: String,
    fenced: bool,
}

/// A link's destination, as written, and the line (from 1) its text starts on.
struct Link {
    line: usize,
    target: String,
}

/// One Markdown file, read as far as this check needs.
struct Doc {
    path: PathBuf,
    links: Vec<Link>,
    code: Vec<Code>,
    anchors: BTreeSet<String>,
}

/// The length of a code fence's opening (three or more backticks or tildes, indented by
/// at most three spaces), and its character.
fn fence(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let mark = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let length = trimmed.chars().take_while(|c| *c == mark).count();
    (length >= 3).then_some((mark, length))
}

/// GitHub's anchor for a heading: lowercase; letters, digits, `-` and `_` kept, each
/// space a `-`, everything else dropped; a link's text stands for the link.
fn slug(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    // `[text](target)` reads as `text`.
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|at| open + at) else { break };
        let Some(end) = rest[close..].find(')').map(|at| close + at) else { break };
        text.push_str(&rest[..open]);
        text.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The ATX heading a line of prose is, if it is one.
fn heading(line: &str) -> Option<&str> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let level = trimmed.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let text = &trimmed[level..];
    if !(text.is_empty() || text.starts_with(' ') || text.starts_with('\t')) {
        return None;
    }
    // An optional closing sequence of `#`s.
    let text = text.trim();
    let text = text.trim_end_matches('#');
    Some(text.trim_end())
}

fn parse(path: &Path, markdown: &str) -> Doc {
    let mut doc = Doc { path: path.to_path_buf(), links: Vec::new(), code: Vec::new(), anchors: BTreeSet::new() };
    let mut seen: HashMap<String, usize> = HashMap::new();
    // The prose, with every fenced block's lines left empty so line numbers hold.
    let mut prose = String::new();
    let mut open: Option<(char, usize, usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let number = index + 1;
        match open.take() {
            Some((mark, length, start, mut text)) => {
                let closes = fence(line).is_some_and(|(c, n)| c == mark && n >= length && line.trim().chars().all(|x| x == mark));
                if closes {
                    doc.code.push(Code { line: start, text, fenced: true });
                } else {
                    text.push_str(line);
                    text.push('\n');
                    open = Some((mark, length, start, text));
                }
                prose.push('\n');
            }
            None => {
                if let Some((mark, length)) = fence(line) {
                    open = Some((mark, length, number + 1, String::new()));
                    prose.push('\n');
                    continue;
                }
                if let Some(text) = heading(line) {
                    let base = slug(text);
                    let count = seen.entry(base.clone()).or_insert(0);
                    let anchor = if *count == 0 { base.clone() } else { format!("{base}-{count}") };
                    *count += 1;
                    doc.anchors.insert(anchor);
                }
                // A link reference definition: `[label]: target`.
                let trimmed = line.trim_start();
                if let Some(rest) = trimmed.strip_prefix('[') {
                    if let Some(close) = rest.find("]:") {
                        if let Some(target) = rest[close + 2..].split_whitespace().next() {
                            doc.links.push(Link { line: number, target: target.trim_matches(['<', '>']).to_string() });
                        }
                    }
                }
                prose.push_str(line);
                prose.push('\n');
            }
        }
    }
    if let Some((_, _, start, text)) = open {
        // An unclosed fence runs to the end of the file.
        doc.code.push(Code { line: start, text, fenced: true });
    }
    scan_prose(&prose, &mut doc);
    doc
}

/// Inline code spans and inline links of the prose: a code span is skipped whole (a
/// bracket inside it opens no link), and a link's text may hold code and run over lines.
fn scan_prose(prose: &str, doc: &mut Doc) {
    let chars: Vec<char> = prose.chars().collect();
    let mut line = 1;
    let mut brackets: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if chars.get(i + 1) == Some(&'\n') {
                    line += 1;
                }
                i += 2;
                continue;
            }
            '\n' => {
                line += 1;
                // A blank line ends a paragraph, and any bracket left open in it.
                if chars.get(i + 1) == Some(&'\n') {
                    brackets.clear();
                }
            }
            '`' => {
                let run = chars[i..].iter().take_while(|c| **c == '`').count();
                let start = i + run;
                let mut j = start;
                let mut end = None;
                while j < chars.len() {
                    if chars[j] == '`' {
                        let closing = chars[j..].iter().take_while(|c| **c == '`').count();
                        if closing == run {
                            end = Some(j);
                            break;
                        }
                        j += closing;
                    } else if chars[j] == '\n' && chars.get(j + 1) == Some(&'\n') {
                        break;
                    } else {
                        j += 1;
                    }
                }
                match end {
                    Some(end) => {
                        let text: String = chars[start..end].iter().collect();
                        doc.code.push(Code { line, text: text.clone(), fenced: false });
                        line += text.matches('\n').count();
                        i = end + run;
                    }
                    // No closing run: the backticks are literal.
                    None => i += run,
                }
                continue;
            }
            '[' => brackets.push(line),
            ']' => {
                if let Some(start) = brackets.pop() {
                    if chars.get(i + 1) == Some(&'(') {
                        let mut depth = 0;
                        let mut j = i + 1;
                        while j < chars.len() {
                            match chars[j] {
                                '(' => depth += 1,
                                ')' => {
                                    depth -= 1;
                                    if depth == 0 {
                                        break;
                                    }
                                }
                                _ => {}
                            }
                            j += 1;
                        }
                        let inside: String = chars[i + 2..j.min(chars.len())].iter().collect();
                        let target = inside.trim().trim_start_matches('<');
                        let target = target.split(['>', ' ', '\n', '\t']).next().unwrap_or("");
                        doc.links.push(Link { line: start, target: target.to_string() });
                        line += inside.matches('\n').count();
                        i = j + 1;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a/b/../c` as `a/c`, without touching the file system.
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn has_scheme(target: &str) -> bool {
    match target.find(':') {
        Some(colon) => {
            let scheme = &target[..colon];
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
        }
        None => false,
    }
}

/// Every broken relative link of `docs`, as `file:line: reason`.
fn broken_links(root: &Path, docs: &[Doc]) -> Vec<String> {
    let anchors: HashMap<PathBuf, &BTreeSet<String>> = docs.iter().map(|doc| (normalized(&doc.path), &doc.anchors)).collect();
    let mut problems = Vec::new();
    for doc in docs {
        let shown = doc.path.strip_prefix(root).unwrap_or(&doc.path).display().to_string();
        for link in &doc.links {
            if link.target.is_empty() {
                problems.push(format!("{shown}:{}: a link with no target", link.line));
                continue;
            }
            if has_scheme(&link.target) || link.target.starts_with("//") {
                continue;
            }
            let (path, anchor) = match link.target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (link.target.as_str(), None),
            };
            let path = percent_decoded(path);
            let target = if path.is_empty() {
                doc.path.clone()
            } else if let Some(from_root) = path.strip_prefix('/') {
                root.join(from_root)
            } else {
                doc.path.parent().expect("a file's directory").join(&path)
            };
            let target = normalized(&target);
            if !target.exists() {
                problems.push(format!("{shown}:{}: `{}`: no such file or directory ({})", link.line, link.target, target.display()));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            if target.extension().is_none_or(|ext| ext != "md") {
                continue;
            }
            let owned;
            let headings = match anchors.get(&target) {
                Some(headings) => *headings,
                None => {
                    let text = fs::read_to_string(&target).expect("a Markdown file reads");
                    owned = parse(&target, &text).anchors;
                    &owned
                }
            };
            let anchor = percent_decoded(anchor);
            if !headings.contains(&anchor) {
                problems.push(format!("{shown}:{}: `{}`: no heading of {} has the anchor `#{anchor}`", link.line, link.target, target.display()));
            }
        }
    }
    problems
}

/// The subcommands named in `code`, each with its line offset from the code's start:
/// after a whole-word `clarimed` (or `cargo run … --`, which runs it), the first word
/// that is neither an option nor an option's value, when it looks like a subcommand.
fn named_subcommands(code: &Code, cli: &Cli) -> Vec<(usize, String)> {
    // Each word with its line offset and the command line it is on: in a fenced block a
    // line ends a command unless it ends with `\`; in inline code a line break is a space.
    let mut words: Vec<(usize, usize, &str)> = Vec::new();
    let mut command = 0;
    for (offset, line) in code.text.lines().enumerate() {
        for word in line.split_whitespace() {
            if word != "\\" {
                words.push((offset, command, word));
            }
        }
        if code.fenced && !line.trim_end().ends_with('\\') {
            command += 1;
        }
    }
    let on = |at: usize, command: usize| words.get(at).filter(|(_, c, _)| *c == command).map(|(line, _, word)| (*line, *word));
    let mut found = Vec::new();
    for (at, &(_, command, word)) in words.iter().enumerate() {
        let mut next = if let Some(position) = word.rfind("clarimed") {
            let (before, rest) = word.split_at(position);
            // A whole word: `clarimed.db`, `clarimed::…`, `clarimed_engine` and
            // `clarimed-engine` name something else; `target/debug/clarimed` is the binary.
            let bounded = before.chars().last().is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')));
            // `cargo test -p clarimed` names the package, not the binary.
            let a_package = at.checked_sub(1).and_then(|before| on(before, command)).is_some_and(|(_, before)| matches!(before, "-p" | "--package" | "--bin"));
            if !(bounded && rest == "clarimed") || a_package {
                continue;
            }
            at + 1
        } else if word == "cargo" && on(at + 1, command).is_some_and(|(_, next)| next == "run") {
            // `cargo run [--release] -- SUBCOMMAND` runs the default binary, clarimed;
            // `cargo run -p …` or `--example …` runs another.
            let mut j = at + 2;
            let mut runs_clarimed = true;
            while let Some((_, next)) = on(j, command) {
                if next == "--" {
                    break;
                }
                runs_clarimed &= !matches!(next, "-p" | "--package" | "--example" | "--bin" | "--manifest-path");
                j += 1;
            }
            if !runs_clarimed || on(j, command).is_none() {
                continue;
            }
            j + 1
        } else {
            continue;
        };
        while let Some((line, word)) = on(next, command) {
            if word.starts_with('-') {
                let takes_value = cli.options_with_value.contains(word);
                next += if takes_value { 2 } else { 1 };
                continue;
            }
            let subcommand_like =
                word.starts_with(|c: char| c.is_ascii_lowercase()) && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if subcommand_like {
                found.push((line, word.to_string()));
            }
            break;
        }
    }
    found
}

/// Every `clarimed <word>` of `docs`' code whose word is no subcommand, as `file:line: …`.
fn unknown_commands(root: &Path, docs: &[Doc], cli: &Cli) -> (usize, Vec<String>) {
    let mut named = 0;
    let mut problems = Vec::new();
    for doc in docs {
        let shown = doc.path.strip_prefix(root).unwrap_or(&doc.path).display().to_string();
        for code in &doc.code {
            for (offset, word) in named_subcommands(code, cli) {
                named += 1;
                if !cli.subcommands.contains(&word) {
                    problems.push(format!(
                        "{shown}:{}: `clarimed {word}`: `{word}` is not a subcommand of clarimed (clarimed --help lists {})",
                        code.line + offset,
                        cli.subcommands.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
    }
    (named, problems)
}

/// The Markdown files under `dir`, leaving out build output, installed packages and
/// hidden directories.
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir).expect("a directory reads").map(|entry| entry.expect("an entry").path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
        if path.is_dir() {
            if !(name.starts_with('.') || matches!(name, "target" | "node_modules" | "artifacts" | "corpus")) {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

fn repository() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    normalized(&root.canonicalize().expect("the repository's root"))
}

fn read_docs(root: &Path) -> Vec<Doc> {
    let mut files = Vec::new();
    markdown_files(root, &mut files);
    files.iter().map(|path| parse(path, &fs::read_to_string(path).expect("a Markdown file reads"))).collect()
}

#[test]
fn every_relative_link_and_every_named_subcommand_of_the_docs_exists() {
    let root = repository();
    let docs = read_docs(&root);
    let shown: Vec<_> = docs.iter().map(|doc| doc.path.strip_prefix(&root).unwrap().display().to_string()).collect();
    for needed in ["README.md", "BENCHMARKS.md", "docs/command-line.md", "docs/operations.md"] {
        assert!(shown.iter().any(|path| path == needed), "{needed} was not read: {shown:?}");
    }
    assert!(!shown.iter().any(|path| path.contains("node_modules/") || path.starts_with("target/")), "{shown:?}");

    let mut problems = broken_links(&root, &docs);

    // Every chapter under docs/ is linked from the README.
    let readme = docs.iter().find(|doc| doc.path == root.join("README.md")).expect("README.md");
    let linked: BTreeSet<PathBuf> =
        readme.links.iter().filter(|link| !has_scheme(&link.target)).map(|link| normalized(&root.join(link.target.split('#').next().unwrap()))).collect();
    for doc in docs.iter().filter(|doc| doc.path.parent() == Some(root.join("docs").as_path())) {
        if !linked.contains(&normalized(&doc.path)) {
            problems.push(format!("README.md: no link to the chapter {}", doc.path.strip_prefix(&root).unwrap().display()));
        }
    }

    let cli = Cli::of_the_binary();
    let (named, unknown) = unknown_commands(&root, &docs, &cli);
    problems.extend(unknown);

    let links: usize = docs.iter().map(|doc| doc.links.len()).sum();
    println!("{} Markdown files, {links} links, {named} `clarimed <subcommand>` in code", docs.len());
    assert!(links >= 20 && named >= 20, "too few links ({links}) or commands ({named}) found: the parser reads nothing");
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{problem}");
        }
        panic!("{} broken link(s) or unknown subcommand(s) in the docs, listed above", problems.len());
    }
}

/// The checker itself, on a small tree of files: it must catch a missing file, a
/// missing anchor and an unknown subcommand, and pass what is right.
#[test]
fn the_check_catches_a_broken_link_a_wrong_anchor_and_an_unknown_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let root = normalized(&dir.path().canonicalize().unwrap());
    fs::create_dir(root.join("docs")).unwrap();
    let readme = [
        "# Top",                                                                                                       // 1
        "",                                                                                                            // 2
        "See [serve](docs/serve.md#the-nodes-rpc-clarimed-serve), [gone](docs/gone.md),",                              // 3
        "[bad anchor](docs/serve.md#nowhere), [web](https://example.com/x.md), [self](#top), [code](#not-a-heading),", // 4
        "[`code` in text",                                                                                             // 5
        "over lines](docs/), and `[not a link](nowhere.md)`.",                                                         // 6
        "",                                                                                                            // 7
        "```sh",                                                                                                       // 8
        "# not a heading",                                                                                             // 9
        "clarimed --db x.db serve --listen 0",                                                                         // 10
        "clarimed frobnicate",                                                                                         // 11
        "clarimed \\",                                                                                                 // 12
        "    --json status",                                                                                           // 13
        "```",                                                                                                         // 14
    ];
    fs::write(root.join("README.md"), readme.join("\n")).unwrap();
    let serve = [
        "# The node's RPC: `clarimed serve`",                                                              // 1
        "",                                                                                                // 2
        "Back to [the top](../README.md#top). `clarimed",                                                  // 3
        "status`, `clarimed.db`, `clarimed::versions`, `clarimed-engine`, `cargo run --release -- demo`,", // 4
        "`cargo run -p clarimed-engine --example embed`, `clarimed runs: 2.5`, `cargo run --release -- nothing`, `cargo test -p clarimed`.", // 5
    ];
    fs::write(root.join("docs/serve.md"), serve.join("\n")).unwrap();
    let docs = read_docs(&root);
    assert_eq!(docs.len(), 2);
    let links = broken_links(&root, &docs);
    assert_eq!(links.len(), 3, "{links:#?}");
    assert!(links[0].starts_with("README.md:3: `docs/gone.md`: no such file"), "{links:#?}");
    assert!(links[1].starts_with("README.md:4: `docs/serve.md#nowhere`: no heading"), "{links:#?}");
    assert!(links[2].starts_with("README.md:4: `#not-a-heading`: no heading"), "{links:#?}");

    let cli = Cli::from_help(
        "Usage: clarimed [OPTIONS] <COMMAND>\n\nCommands:\n  serve   Serve\n          the state\n  status  Status\n  demo    Demo\n\n\
         Options:\n      --db <PATH>  The file\n      --json       JSON\n  -h, --help       Help\n",
    );
    assert_eq!(cli.subcommands, ["demo", "serve", "status"].into_iter().map(String::from).collect());
    assert_eq!(cli.options_with_value, ["--db"].into_iter().map(String::from).collect());
    let (named, unknown) = unknown_commands(&root, &docs, &cli);
    assert_eq!(named, 7, "serve, frobnicate, status; serve, status, demo, nothing");
    assert_eq!(unknown.len(), 2, "{unknown:#?}");
    assert!(unknown[0].starts_with("README.md:11: `clarimed frobnicate`"), "{unknown:#?}");
    assert!(unknown[1].starts_with("docs/serve.md:5: `clarimed nothing`"), "{unknown:#?}");
}

#[test]
fn slugs_are_githubs() {
    assert_eq!(slug("The node's RPC: `clarimed serve`"), "the-nodes-rpc-clarimed-serve");
    assert_eq!(slug("Healthcare interchange: FHIR R4 (`clarimed fhir`, `GET /fhir/…`)"), "healthcare-interchange-fhir-r4-clarimed-fhir-get-fhir");
    assert_eq!(slug("Who the caller is: v2, and v1 kept"), "who-the-caller-is-v2-and-v1-kept");
    assert_eq!(slug("Costs against Clarinet's simnet"), "costs-against-clarinets-simnet");
    assert_eq!(slug("A [linked](x.md) heading_with snake"), "a-linked-heading_with-snake");
}
