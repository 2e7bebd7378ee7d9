//! Where findings go, one at a time, as they become final (`kac lint` streams them while it
//! reads a configuration; `check` and `compile` hand over their diagnostics the same way):
//! the baseline filter, the counts and the verdict, the fixes `--fix` may apply, a baseline
//! being written, and the output format's writer. The findings themselves are not kept
//! (only the ones with a fix, when `--fix` asks for them).

use std::io::{BufWriter, Stderr, Stdout, Write};
use std::path::Path;

use kac_schema::{Diagnostic, Severity};

use crate::DiagFormat;
use crate::baseline::{Baseline, Fingerprints, Writer};
use crate::render::{self, Human, Sarif, Texts};

/// In the text output, after this many findings of one rule the rest are shown on one line
/// each (`kac lint --all-snippets` shows every snippet).
pub const FULL_PER_RULE: usize = 10;

/// In the text output of `kac lint`, past this many findings of one rule (in full or on one
/// line) the rest are counted, not listed, and summed up per rule at the end
/// (`kac lint --all-findings` lists every finding; JSON, SARIF and GitHub carry every one).
pub const LISTED_PER_RULE: usize = 100;

/// The output format's writer.
enum Out {
    /// No output (the rounds of `--fix`, writing a baseline).
    Quiet,
    /// Human text on stderr: full snippets, then one line per finding past `full_per_rule`
    /// findings of a rule, then (past `listed_per_rule`) a count per rule.
    Text(Box<TextOut>),
    /// `{"version": 1, "diagnostics": [...]}` on stdout, one diagnostic per line.
    Json { w: BufWriter<Stdout>, first: bool },
    /// SARIF 2.1.0 on stdout, results as they come, rules at the end.
    Sarif {
        w: BufWriter<Stdout>,
        sarif: Sarif,
        fp: Box<Fingerprints>,
        first: bool,
    },
    /// GitHub workflow commands on stdout.
    Github { w: BufWriter<Stdout> },
}

/// The text output's state.
struct TextOut {
    w: BufWriter<Stderr>,
    human: Human,
    /// What was shown of each rule, in the order rules were first seen (a few rules: a
    /// linear search is cheaper than hashing the code of every finding).
    per_rule: Vec<RuleShown>,
    full_per_rule: Option<usize>,
    listed_per_rule: Option<usize>,
}

/// How many findings of one rule the text output saw, and the ones it did not list.
struct RuleShown {
    code: String,
    seen: usize,
    unlisted: usize,
    /// The level and place (`[host] file:line:col`) of the first finding not listed.
    first_unlisted: Option<(Severity, String)>,
}

impl TextOut {
    /// The counts of rule `code`.
    fn rule(&mut self, code: &str) -> &mut RuleShown {
        let i = match self.per_rule.iter().position(|r| r.code == code) {
            Some(i) => i,
            None => {
                self.per_rule.push(RuleShown {
                    code: code.to_string(),
                    seen: 0,
                    unlisted: 0,
                    first_unlisted: None,
                });
                self.per_rule.len() - 1
            }
        };
        &mut self.per_rule[i]
    }

    /// One line per rule with findings not listed: how many, and where the first one is.
    fn summary(&mut self) -> std::io::Result<()> {
        for r in &self.per_rule {
            if let Some((level, at)) = &r.first_unlisted {
                writeln!(
                    self.w,
                    "{}[{}]: {} more finding(s) not listed, the first at {at} \
                     (`kac lint --all-findings` lists every finding; `--format json`, `sarif` \
                     and `github` carry them all)",
                    level.as_str(),
                    r.code,
                    r.unlisted
                )?;
            }
        }
        Ok(())
    }
}

/// Receives findings (see the module documentation).
pub struct Reporter {
    /// The files findings point into.
    pub texts: Texts,
    baseline: Option<Baseline>,
    deny_warnings: bool,
    fixable: Option<Vec<(Option<String>, Diagnostic)>>,
    writer: Option<Writer>,
    out: Out,
    done: Done,
    /// The bytes of the finding being written.
    buf: Vec<u8>,
}

/// What a reporter saw.
#[derive(Default)]
pub struct Done {
    /// Findings reported (not accepted by the baseline).
    pub total: usize,
    /// Findings the baseline accepted.
    pub accepted: usize,
    /// Whether a reported finding fails the run (an error; a warning with `--deny-warnings`).
    pub failed: bool,
    /// Findings shown on one line each (text output, past [`FULL_PER_RULE`] of a rule).
    pub one_line: usize,
    /// Findings counted but not listed (text output, past [`LISTED_PER_RULE`] of a rule).
    pub unlisted: usize,
    /// The findings with a fix, when they were asked for.
    pub fixable: Vec<(Option<String>, Diagnostic)>,
    /// The baseline being written, when one is.
    pub writer: Option<Writer>,
}

impl Reporter {
    /// A reporter writing `format`; in text, past `full_per_rule` findings of one rule the
    /// rest are one line each (`None`: every finding in full).
    pub fn new(format: DiagFormat, full_per_rule: Option<usize>, texts: Texts) -> Self {
        let out = match format {
            DiagFormat::Text => Out::Text(Box::new(TextOut {
                w: BufWriter::with_capacity(1 << 16, std::io::stderr()),
                human: Human::new(crate::color_on_stderr()),
                per_rule: Vec::new(),
                full_per_rule,
                listed_per_rule: None,
            })),
            DiagFormat::Json => {
                let mut w = BufWriter::with_capacity(1 << 16, std::io::stdout());
                let _ = write!(w, "{{\"version\": 1, \"diagnostics\": [");
                Out::Json { w, first: true }
            }
            DiagFormat::Sarif => {
                let mut w = BufWriter::with_capacity(1 << 16, std::io::stdout());
                let sarif = Sarif::default();
                let _ = sarif.start(&mut w);
                Out::Sarif {
                    w,
                    sarif,
                    fp: Box::new(Fingerprints::for_file(Path::new("./sarif"))),
                    first: true,
                }
            }
            DiagFormat::Github => Out::Github {
                w: BufWriter::with_capacity(1 << 16, std::io::stdout()),
            },
        };
        Reporter {
            texts,
            baseline: None,
            deny_warnings: false,
            fixable: None,
            writer: None,
            out,
            done: Done::default(),
            buf: Vec::new(),
        }
    }

    /// A reporter that writes nothing.
    pub fn quiet(texts: Texts) -> Self {
        Reporter {
            out: Out::Quiet,
            ..Reporter::new(DiagFormat::Github, None, texts)
        }
    }

    /// Text output: past `max` findings of one rule, the rest are counted and summed up per
    /// rule at the end instead of listed (`None`, the default: every finding is listed).
    pub fn listing_at_most(mut self, max: Option<usize>) -> Self {
        if let Out::Text(t) = &mut self.out {
            t.listed_per_rule = max;
        }
        self
    }

    /// Whether every finding is written out (the machine formats, text without a listing
    /// limit): then writing, not reading, sets the pace on large outputs.
    pub fn writes_every_finding(&self) -> bool {
        match &self.out {
            Out::Quiet => false,
            Out::Text(t) => t.listed_per_rule.is_none(),
            Out::Json { .. } | Out::Sarif { .. } | Out::Github { .. } => true,
        }
    }

    /// Findings `baseline` accepts are counted, not reported.
    pub fn with_baseline(mut self, baseline: Option<Baseline>) -> Self {
        self.baseline = baseline;
        self
    }

    /// Warnings fail the run too.
    pub fn deny_warnings(mut self, deny: bool) -> Self {
        self.deny_warnings = deny;
        self
    }

    /// Keeps the findings that have a fix (for `--fix`).
    pub fn keep_fixable(mut self) -> Self {
        self.fixable = Some(Vec::new());
        self
    }

    /// Counts every finding into a baseline for `path`.
    pub fn writing_baseline(mut self, path: &Path) -> Self {
        self.writer = Some(Writer::new(path));
        self
    }

    /// One final finding (of `host`, when it has one).
    pub fn finding(&mut self, host: Option<&str>, d: &Diagnostic) {
        let texts = &mut self.texts;
        if let Some(b) = &mut self.baseline
            && b.accepts(host, d, texts)
        {
            self.done.accepted += 1;
            return;
        }
        self.done.total += 1;
        self.done.failed |= d.severity == Severity::Error
            || (self.deny_warnings && d.severity == Severity::Warning);
        if let Some(w) = &mut self.writer {
            w.add(host, d, texts);
        }
        if let Some(list) = &mut self.fixable
            && d.fix.is_some()
        {
            list.push((host.map(str::to_string), d.clone()));
        }
        // A closed pipe (`kac lint | head`) is not an error.
        let _ = match &mut self.out {
            Out::Quiet => Ok(()),
            Out::Text(t) => {
                let (full, listed) = (t.full_per_rule, t.listed_per_rule);
                let rule = t.rule(&d.code);
                rule.seen += 1;
                let seen = rule.seen;
                if listed.is_some_and(|max| seen > max) {
                    rule.unlisted += 1;
                    self.done.unlisted += 1;
                    if rule.first_unlisted.is_none() {
                        rule.first_unlisted = Some((d.severity, render::place(d, host, texts)));
                    }
                    Ok(())
                } else if full.is_some_and(|max| seen > max) {
                    self.done.one_line += 1;
                    render::one_line(&mut t.w, d, host, texts)
                } else {
                    let s = t.human.render(d, texts);
                    match host {
                        Some(h) => writeln!(t.w, "[{h}] {s}"),
                        None => writeln!(t.w, "{s}"),
                    }
                }
            }
            // Each diagnostic is serialized into a buffer, then written at once.
            Out::Json { w, first } => {
                let buf = &mut self.buf;
                buf.clear();
                buf.extend_from_slice(if std::mem::take(first) { b"\n" } else { b",\n" });
                render::json(buf, d, host, texts).and_then(|()| w.write_all(buf))
            }
            Out::Sarif {
                w,
                sarif,
                fp,
                first,
            } => {
                let buf = &mut self.buf;
                buf.clear();
                buf.extend_from_slice(if std::mem::take(first) { b"\n" } else { b",\n" });
                let print = fp.hash(host, d, texts);
                sarif
                    .result(buf, d, host, print, texts)
                    .and_then(|()| w.write_all(buf))
            }
            Out::Github { w } => render::github(w, d, host, texts),
        };
    }

    /// Ends the output (closes the JSON and SARIF documents) and says what was seen.
    pub fn finish(mut self) -> Done {
        let _ = match self.out {
            Out::Quiet => Ok(()),
            Out::Text(mut t) => t.summary().and_then(|()| t.w.flush()),
            Out::Json { mut w, first } => {
                let end = if first { "]}\n" } else { "\n]}\n" };
                w.write_all(end.as_bytes()).and_then(|()| w.flush())
            }
            Out::Sarif { mut w, sarif, .. } => sarif.finish(&mut w).and_then(|()| w.flush()),
            Out::Github { mut w } => w.flush(),
        };
        self.done.fixable = self.fixable.take().unwrap_or_default();
        self.done.writer = self.writer.take();
        self.done
    }
}
