//! The platform default environments file, as `provenant env init` writes it.

/// The default environments, in promotion order, with their triggers.
pub const DEFAULT_ENVIRONMENTS: [&str; 4] = ["dev", "test", "uat", "prod"];

/// The placeholder a repository template must contain.
pub const ENV_PLACEHOLDER: &str = "{env}";

/// A repository template or roles path that cannot make a default file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The template has no `{env}`, so every environment would share one repository.
    #[error(
        "the repository template '{template}' has no {{env}}: every environment needs its own repository, such as registry.example.com/{{env}}/app"
    )]
    NoPlaceholder {
        /// The template as given.
        template: String,
    },
    /// Whitespace, a tag or a digest in the template, or a character YAML would need quoted in the roles path.
    #[error("'{value}' cannot be written into the environments file: {reason}")]
    Unusable {
        /// The value as given.
        value: String,
        /// Why.
        reason: &'static str,
    },
}

fn plain_scalar_ok(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:{}".contains(c))
}

/// The platform default for `template` (each `{env}` replaced by the environment's name) and the roles
/// file `roles` (relative to the environments file): dev, test, uat and prod in that order; dev entered
/// by provenance signed by `ci`; every later one by a passing gate decision signed by `ci` and a recorded
/// promotion from the one before; prod in addition by one approval of `release-manager` with separation
/// of duties.
pub fn default_yaml(template: &str, roles: &str) -> Result<String, InitError> {
    if !template.contains(ENV_PLACEHOLDER) {
        return Err(InitError::NoPlaceholder {
            template: template.to_owned(),
        });
    }
    if !plain_scalar_ok(template) || template.contains('@') {
        return Err(InitError::Unusable {
            value: template.to_owned(),
            reason: "a repository template is a registry path with {env}, without spaces, tag or digest",
        });
    }
    if !plain_scalar_ok(roles) || roles.contains(['{', '}']) {
        return Err(InitError::Unusable {
            value: roles.to_owned(),
            reason: "name the roles file with letters, digits, '/', '.', '_' and '-' only",
        });
    }
    let repo = |env: &str| template.replace(ENV_PLACEHOLDER, env);
    let (dev, test, uat, prod) = (repo("dev"), repo("test"), repo("uat"), repo("prod"));
    Ok(format!(
        "\
# Environments, in promotion order. One artefact, built once, promoted by digest: an image enters the
# first environment by being built and pushed there, and reaches each later one only by a recorded
# promotion from the one before it (`provenant promote IMAGE@DIGEST --env NAME`). Nothing bypasses a
# requirement. Schema: schemas/environments-v1.schema.json.
version: 1
# The roles file: roles: {{NAME: {{keys: [...], identities: [...]}}}}, relative to this file.
roles: {roles}
environments:
  - name: dev
    repository: {dev}
    promote_roles: [ci]
    trigger: on-commit
    requires:
      # The entry: build and packaging provenance for the digest, signed by the ci role.
      provenance:
        role: ci
    # config: config/dev          # a configuration file or directory, kept outside the artefact
  - name: test
    repository: {test}
    promote_roles: [ci]
    trigger: on-merge
    requires:
      # A passing gate decision for the digest, signed by the ci role (and the digest promoted into dev).
      gate_decision:
        role: ci
  - name: uat
    repository: {uat}
    promote_roles: [ci]
    trigger: on-release-candidate
    requires:
      gate_decision:
        role: ci
  - name: prod
    repository: {prod}
    promote_roles: [ci]
    trigger: on-approval
    requires:
      gate_decision:
        role: ci
        # max_age: 7d             # the oldest gate decision accepted
      # One approval by a release manager who is neither the commit's author or committer nor the
      # identity that signed its build or packaging provenance.
      approvals:
        roles: [release-manager]
        count: 1
        separation_of_duties: true
      # change_windows:           # when a promotion may happen, in UTC (any one window)
      #   - days: [mon, tue, wed, thu]
      #     start: \"09:00\"
      #     end: \"16:00\"
      #   - from: 2026-12-01T09:00:00Z
      #     until: 2026-12-01T12:00:00Z
      # rollback_tested: true     # a recorded rollback into prod before the promotion
"
    ))
}
