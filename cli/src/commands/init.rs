//! `provenant init`: writes a governed pipeline from its template with the policy files it uses, lists a
//! template's parameters, and checks a pipeline for drift from its template.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use provenant_templates::drift::{self, DriftKind};
use provenant_templates::{Ci, Workload, params};

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::{to_stdout, write_json};

/// Largest pipeline or policy file read back for `--check`.
const MAX_FILE: u64 = 4 << 20;

/// `provenant init`.
#[derive(Debug, Args)]
#[command(
    after_help = "Writes the pipeline (.github/workflows/provenant-WORKLOAD.yml or .gitlab-ci.yml) \
and the policy files it uses (provenant/gate-policy.yaml, environments.yaml, roles.yaml), each stamped \
`# provenant-template: NAME@VERSION`; the same template and parameters give the same bytes. Existing files \
are never overwritten without --force. --check renders the template named by the pipeline's stamp again, \
with the parameters it records, and prints a unified diff of every file that drifted (exit 1). \
Exit status: 0 written or no drift, 1 drift, 2 usage or runtime error."
)]
pub(crate) struct InitArgs {
    /// The workload type.
    #[arg(long, value_enum, required_unless_present = "check")]
    pub(crate) workload: Option<WorkloadArg>,
    /// The CI system.
    #[arg(long, value_enum, required_unless_present_any = ["check", "list_parameters"])]
    pub(crate) ci: Option<CiArg>,
    /// The repository root to write into (or check).
    #[arg(short = 'o', long = "out", value_name = "DIR", default_value = ".")]
    pub(crate) out: PathBuf,
    /// A parameter within its allowed range (repeatable; see --list-parameters).
    #[arg(long = "set", value_name = "NAME=VALUE", conflicts_with_all = ["check", "list_parameters"])]
    pub(crate) set: Vec<String>,
    /// Overwrite existing files.
    #[arg(long, conflicts_with_all = ["check", "list_parameters"])]
    pub(crate) force: bool,
    /// Report files that drifted from their template (a unified diff each) instead of writing.
    #[arg(long, conflicts_with_all = ["workload", "ci", "list_parameters"])]
    pub(crate) check: bool,
    /// List the parameters a team may set for --workload (and --ci), with their allowed ranges.
    #[arg(long, requires = "workload")]
    pub(crate) list_parameters: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WorkloadArg {
    /// A container image.
    Container,
    /// A function bundle.
    Serverless,
    /// An Android APK or iOS IPA.
    Mobile,
    /// A Terraform/OpenTofu module.
    Infra,
    /// A data pipeline package.
    Data,
}

impl From<WorkloadArg> for Workload {
    fn from(w: WorkloadArg) -> Self {
        match w {
            WorkloadArg::Container => Workload::Container,
            WorkloadArg::Serverless => Workload::Serverless,
            WorkloadArg::Mobile => Workload::Mobile,
            WorkloadArg::Infra => Workload::Infra,
            WorkloadArg::Data => Workload::Data,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CiArg {
    /// GitHub Actions.
    Github,
    /// GitLab CI.
    Gitlab,
}

impl From<CiArg> for Ci {
    fn from(c: CiArg) -> Self {
        match c {
            CiArg::Github => Ci::Github,
            CiArg::Gitlab => Ci::Gitlab,
        }
    }
}

pub(crate) fn run(global: &GlobalArgs, args: &InitArgs) -> anyhow::Result<Outcome> {
    if args.check {
        return check(global, &args.out);
    }
    let workload: Workload = args.workload.context("--workload is required")?.into();
    if args.list_parameters {
        return list_parameters(global, workload, args.ci.map_or(Ci::Github, Ci::from));
    }
    let ci: Ci = args.ci.context("--ci is required")?.into();
    write(global, workload, ci, args)
}

fn write(global: &GlobalArgs, workload: Workload, ci: Ci, args: &InitArgs) -> anyhow::Result<Outcome> {
    let settings = args
        .set
        .iter()
        .map(|s| params::split_assignment(s))
        .collect::<Result<Vec<_>, _>>()?;
    let values = params::resolve(workload, ci, &settings)?;
    let files = provenant_templates::render(workload, ci, &values)?;
    if !args.force {
        let existing: Vec<String> = files
            .iter()
            .filter(|f| args.out.join(&f.path).exists())
            .map(|f| args.out.join(&f.path).display().to_string())
            .collect();
        anyhow::ensure!(
            existing.is_empty(),
            "{} already exist{}: nothing was written (give --force to overwrite, or --check to compare)",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        );
    }
    for file in &files {
        let path = args.out.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create directory {}", dir.display()))?;
        }
        crate::shared::write_atomic(&path, file.content.as_bytes())?;
    }
    let template = provenant_templates::template_name(workload, ci);
    to_stdout(|w| {
        match global.output {
            OutputFormat::Json => write_json(
                w,
                &serde_json::json!({
                    "template": template,
                    "version": provenant_templates::TEMPLATE_VERSION,
                    "parameters": values,
                    "files": files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
                }),
            )?,
            OutputFormat::Text => {
                for f in &files {
                    writeln!(w, "wrote {}", args.out.join(&f.path).display())?;
                }
                writeln!(
                    w,
                    "template {template}@{}; check for drift with: provenant init --check -o {}",
                    provenant_templates::TEMPLATE_VERSION,
                    args.out.display()
                )?;
            }
        }
        Ok(())
    })?;
    Ok(Outcome::Success)
}

fn list_parameters(global: &GlobalArgs, workload: Workload, ci: Ci) -> anyhow::Result<Outcome> {
    let list = params::parameters(workload, ci);
    to_stdout(|w| {
        match global.output {
            OutputFormat::Json => write_json(
                w,
                &serde_json::json!({
                    "template": provenant_templates::template_name(workload, ci),
                    "parameters": list.iter().map(|p| serde_json::json!({
                        "name": p.name,
                        "description": p.description,
                        "default": p.default,
                        "allowed": p.allowed.to_string(),
                    })).collect::<Vec<_>>(),
                }),
            )?,
            OutputFormat::Text => {
                writeln!(
                    w,
                    "Parameters of the {} template (provenant init --set NAME=VALUE); everything else is \
                     the platform's:",
                    provenant_templates::template_name(workload, ci)
                )?;
                for p in &list {
                    writeln!(
                        w,
                        "  {}  {}\n      default: {}\n      allowed: {}",
                        p.name, p.description, p.default, p.allowed
                    )?;
                }
            }
        }
        Ok(())
    })?;
    Ok(Outcome::Success)
}

fn read_text(path: &Path) -> anyhow::Result<Option<String>> {
    if !path.exists() {
        return Ok(None);
    }
    let bytes = crate::shared::read_bounded(path, MAX_FILE, "file")?;
    String::from_utf8(bytes)
        .map(Some)
        .with_context(|| format!("{} is not UTF-8", path.display()))
}

fn check(global: &GlobalArgs, dir: &Path) -> anyhow::Result<Outcome> {
    let mut pipelines = Vec::new();
    for (path, _, _) in provenant_templates::pipeline_paths() {
        if let Some(text) = read_text(&dir.join(&path))?
            && text.starts_with(provenant_templates::STAMP_PREFIX)
        {
            pipelines.push((path, text));
        }
    }
    pipelines.dedup_by(|a, b| a.0 == b.0);
    anyhow::ensure!(
        !pipelines.is_empty(),
        "no pipeline written by provenant init under {} (looked for .github/workflows/provenant-WORKLOAD.yml \
         and .gitlab-ci.yml with a `{}` first line)",
        dir.display(),
        provenant_templates::STAMP_PREFIX.trim_end()
    );
    let mut reports = Vec::new();
    for (path, text) in &pipelines {
        // A file that cannot be read is reported as an error by `read_text`; here it counts as missing
        // only when it does not exist.
        let read_error = std::cell::RefCell::new(None);
        let report = drift::check(path, text, &|p: &str| match read_text(&dir.join(p)) {
            Ok(t) => t,
            Err(e) => {
                read_error.borrow_mut().get_or_insert(e);
                None
            }
        })?;
        if let Some(e) = read_error.into_inner() {
            return Err(e);
        }
        reports.push((path.clone(), report));
    }
    let drifted = reports.iter().any(|(_, r)| !r.drifted.is_empty());
    to_stdout(|w| {
        match global.output {
            OutputFormat::Json => write_json(
                w,
                &serde_json::json!({
                    "pipelines": reports.iter().map(|(path, r)| serde_json::json!({
                        "pipeline": path,
                        "template": provenant_templates::template_name(r.stamp.workload, r.stamp.ci),
                        "version": r.stamp.version,
                        "current_version": provenant_templates::TEMPLATE_VERSION,
                        "checked": r.checked,
                        "drifted": r.drifted.iter().map(|d| match &d.kind {
                            DriftKind::Missing => serde_json::json!({"path": d.path, "kind": "missing"}),
                            DriftKind::Changed { diff } => serde_json::json!({"path": d.path, "kind": "changed", "diff": diff}),
                            _ => serde_json::json!({"path": d.path, "kind": "other"}),
                        }).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                    "drift": drifted,
                }),
            )?,
            OutputFormat::Text => {
                for (path, r) in &reports {
                    let name = provenant_templates::template_name(r.stamp.workload, r.stamp.ci);
                    if !drift::is_current(&r.stamp) {
                        writeln!(
                            w,
                            "{path}: written from {name}@{}, the current template is {name}@{}",
                            r.stamp.version,
                            provenant_templates::TEMPLATE_VERSION
                        )?;
                    }
                    for d in &r.drifted {
                        match &d.kind {
                            DriftKind::Missing => {
                                writeln!(w, "{}: missing (the {name} template writes it)", d.path)?;
                            }
                            DriftKind::Changed { diff } => {
                                writeln!(w, "{}: drifted from the {name} template", d.path)?;
                                w.write_all(diff.as_bytes())?;
                            }
                            _ => {
                                writeln!(w, "{}: drifted", d.path)?;
                            }
                        }
                    }
                    if r.drifted.is_empty() {
                        writeln!(
                            w,
                            "{path}: {} files match the {name}@{} template",
                            r.checked.len(),
                            r.stamp.version
                        )?;
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(if drifted {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}
