//! `kac convert FILE --to conf|kdl|yaml [-o OUT] [--recursive]`: one configuration in another
//! format, for every host at once (docs/formats.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kac_compiler::doc::Format;
use kac_compiler::doc::convert::{Conversion, convert_file, convert_tree};

/// Runs `kac convert`.
pub fn run(file: &Path, to: Format, out: Option<&Path>, recursive: bool) -> ExitCode {
    if let Some(code) = crate::unreadable(file) {
        return code;
    }
    if recursive && out.is_none() {
        eprintln!(
            "error: `--recursive` writes several files: name the entry's output with `-o OUT`"
        );
        return ExitCode::from(2);
    }
    let result = if recursive {
        convert_tree(file, to, &Default::default())
    } else {
        convert_file(file, to)
    };
    let c = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    report(&c);
    if c.failed() {
        eprintln!(
            "error: `{}` was not converted to {}: {} problem(s)",
            file.display(),
            to.name(),
            c.diagnostics.len()
        );
        return ExitCode::from(1);
    }
    let Some(out) = out else {
        if let Some(o) = c.outputs.first() {
            print!("{}", o.text);
        }
        return ExitCode::SUCCESS;
    };
    let dir = out.parent().unwrap_or(Path::new("")).to_path_buf();
    for (i, o) in c.outputs.iter().enumerate() {
        let target: PathBuf = if i == 0 {
            out.to_path_buf()
        } else {
            dir.join(&o.relative)
        };
        if let Some(parent) = target.parent()
            && !parent.as_os_str().is_empty()
            && let Err(e) = std::fs::create_dir_all(parent)
        {
            eprintln!("error: cannot create `{}`: {e}", parent.display());
            return ExitCode::from(2);
        }
        if let Err(e) = std::fs::write(&target, &o.text) {
            eprintln!("error: cannot write `{}`: {e}", target.display());
            return ExitCode::from(2);
        }
        eprintln!("converted {} -> {}", o.source.display(), target.display());
    }
    ExitCode::SUCCESS
}

/// Renders the diagnostics of a conversion on stderr.
pub fn report(c: &Conversion) {
    let findings: Vec<(Option<String>, kac_schema::Diagnostic)> =
        c.diagnostics.iter().cloned().map(|d| (None, d)).collect();
    crate::emit(&findings, &c.sources, crate::DiagFormat::Text);
}

/// `--to` values.
pub fn parse_format(s: &str) -> Result<Format, String> {
    match s {
        "conf" | "keepalived" => Ok(Format::Conf),
        "kdl" => Ok(Format::Kdl),
        "yaml" | "yml" => Ok(Format::Yaml),
        other => Err(format!(
            "unknown format `{other}`: expected conf, kdl or yaml"
        )),
    }
}
