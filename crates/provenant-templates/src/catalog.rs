//! The embedded templates: one skeleton per CI system (the eight stage jobs and their `needs`) and one
//! shell part per stage, shared by every workload unless the workload has its own.

use std::collections::BTreeMap;

use crate::params::Values;
use crate::render::{self, RenderError};
use crate::{Ci, STAGES, Workload, template_name};

/// Where `provenant` itself is installed from when the runner image lacks it.
pub const PROVENANT_REPOSITORY: &str = "https://github.com/provenant-dev/provenant";

/// The Provenant release the templates call.
pub const PROVENANT_VERSION: &str = "0.1.0";

/// The platform's runner image, in which every stage job runs (Provenant, trivy, semgrep, tflint and
/// OpenTofu/Terraform installed).
pub const RUNNER_IMAGE: &str = "ghcr.io/provenant-dev/provenant-runner:0.1.0";

const GITHUB: &str = include_str!("../templates/github.yml");
const GITLAB: &str = include_str!("../templates/gitlab.yml");

const SETUP: &str = include_str!("../templates/stages/common/setup.sh");
const SOURCE: &str = include_str!("../templates/stages/common/source.sh");
const PROMOTE: &str = include_str!("../templates/stages/common/promote.sh");
const APPROVE: &str = include_str!("../templates/stages/common/approve.sh");
const DEPLOY: &str = include_str!("../templates/stages/common/deploy.sh");

/// The skeleton of a CI system's pipeline.
#[must_use]
pub fn skeleton(ci: Ci) -> &'static str {
    match ci {
        Ci::Github => GITHUB,
        Ci::Gitlab => GITLAB,
    }
}

/// The shell part of one stage (or `setup`) for a workload.
#[must_use]
pub fn part(workload: Workload, stage: &str) -> Option<&'static str> {
    use Workload::{Container, Data, Infra, Mobile, Serverless};
    Some(match (workload, stage) {
        (_, "setup") => SETUP,
        (_, "source") => SOURCE,
        (Container, "build") => include_str!("../templates/stages/container/build.sh"),
        (Serverless, "build") => include_str!("../templates/stages/serverless/build.sh"),
        (Mobile, "build") => include_str!("../templates/stages/mobile/build.sh"),
        (Infra, "build") => include_str!("../templates/stages/infra/build.sh"),
        (Data, "build") => include_str!("../templates/stages/data/build.sh"),
        (Container, "quality-security") => {
            include_str!("../templates/stages/container/quality-security.sh")
        }
        (Serverless, "quality-security") => {
            include_str!("../templates/stages/serverless/quality-security.sh")
        }
        (Mobile, "quality-security") => include_str!("../templates/stages/mobile/quality-security.sh"),
        (Infra, "quality-security") => include_str!("../templates/stages/infra/quality-security.sh"),
        (Data, "quality-security") => include_str!("../templates/stages/data/quality-security.sh"),
        (Container, "package") => include_str!("../templates/stages/container/package.sh"),
        (Serverless, "package") => include_str!("../templates/stages/serverless/package.sh"),
        (Mobile, "package") => include_str!("../templates/stages/mobile/package.sh"),
        (Infra, "package") => include_str!("../templates/stages/infra/package.sh"),
        (Data, "package") => include_str!("../templates/stages/data/package.sh"),
        (_, "promote") => PROMOTE,
        (_, "approve") => APPROVE,
        (Serverless, "deploy") => include_str!("../templates/stages/serverless/deploy.sh"),
        (_, "deploy") => DEPLOY,
        (Container, "observe") => include_str!("../templates/stages/container/observe.sh"),
        (Serverless, "observe") => include_str!("../templates/stages/serverless/observe.sh"),
        (Mobile, "observe") => include_str!("../templates/stages/mobile/observe.sh"),
        (Infra, "observe") => include_str!("../templates/stages/infra/observe.sh"),
        (Data, "observe") => include_str!("../templates/stages/data/observe.sh"),
        _ => return None,
    })
}

/// The values the platform fixes, which no team sets.
fn platform_values(workload: Workload, ci: Ci, values: &Values) -> Values {
    let mut out = values.clone();
    let mut set = |k: &str, v: String| {
        out.insert(k.to_owned(), v);
    };
    set("workload", workload.as_str().to_owned());
    set("template", template_name(workload, ci));
    set("provenant_repository", PROVENANT_REPOSITORY.to_owned());
    set("provenant_version", PROVENANT_VERSION.to_owned());
    set("runner_image", RUNNER_IMAGE.to_owned());
    set(
        "codeowners",
        match ci {
            Ci::Github => ".github/CODEOWNERS",
            Ci::Gitlab => ".gitlab/CODEOWNERS",
        }
        .to_owned(),
    );
    // The approval job outlasts its wait by ten minutes, so that the wait, not the CI, ends it.
    let wait: u64 = values
        .get("approval_wait_minutes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    set("approval_timeout_minutes", (wait + 10).to_string());
    let ios = values.get("platform").is_some_and(|p| p == "ios");
    set("app_extension", if ios { "ipa" } else { "apk" }.to_owned());
    set(
        "app_media_type",
        if ios {
            "application/vnd.provenant.ios.ipa"
        } else {
            "application/vnd.android.package-archive"
        }
        .to_owned(),
    );
    out
}

/// Renders the pipeline file (without its stamp) of a template.
///
/// # Errors
/// A [`RenderError`] when a template names a placeholder without a value (a defect of the template,
/// caught by the tests).
pub fn pipeline(workload: Workload, ci: Ci, values: &Values) -> Result<String, RenderError> {
    let values = platform_values(workload, ci, values);
    let mut parts: BTreeMap<&str, &str> = BTreeMap::new();
    for stage in std::iter::once("setup").chain(STAGES) {
        if let Some(text) = part(workload, stage) {
            parts.insert(stage, text);
        }
    }
    render::render(&template_name(workload, ci), skeleton(ci), &values, &parts)
}
