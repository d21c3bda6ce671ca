//! Directories (OCI image layouts among them) and JSON documents.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Ctx, DiffError, Format, Kind, child, compare_content, leaf, read_bounded};

fn list(ctx: &mut Ctx<'_>, root: &Path) -> Result<BTreeMap<String, (PathBuf, std::fs::Metadata)>, DiffError> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|source| DiffError::Read {
            path: dir.clone(),
            source,
        })?;
        for item in rd {
            let item = item.map_err(|source| DiffError::Read {
                path: dir.clone(),
                source,
            })?;
            if out.len() >= ctx.options.limits.max_entries {
                ctx.truncated = true;
                return Ok(out);
            }
            let path = item.path();
            let meta = std::fs::symlink_metadata(&path).map_err(|source| DiffError::Read {
                path: path.clone(),
                source,
            })?;
            let rel = format!("{prefix}{}", item.file_name().to_string_lossy());
            if meta.is_dir() {
                stack.push((path.clone(), format!("{rel}/")));
            }
            out.insert(rel, (path, meta));
        }
    }
    Ok(out)
}

fn blob_path(root: &Path, digest: &str) -> Option<PathBuf> {
    let (alg, hex) = digest.split_once(':')?;
    let safe = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    (safe(alg) && safe(hex)).then(|| root.join("blobs").join(alg).join(hex))
}

/// Compares two directories; OCI image layouts are followed from `index.json` to manifests,
/// configurations and layers.
pub(crate) fn compare_dirs(ctx: &mut Ctx<'_>, a: &Path, b: &Path) -> Result<Format, DiffError> {
    if a.join("oci-layout").is_file() && b.join("oci-layout").is_file() {
        oci(ctx, a, b)?;
        return Ok(Format::OciLayout);
    }
    let (la, lb) = (list(ctx, a)?, list(ctx, b)?);
    for (rel, (pa, ma)) in &la {
        let loc = vec![rel.clone()];
        let Some((pb, mb)) = lb.get(rel) else {
            ctx.push(&loc, Kind::Missing, "only in the first".to_owned(), None);
            continue;
        };
        if ma.file_type() != mb.file_type() {
            ctx.push(&loc, Kind::FileType, "entry type differs".to_owned(), None);
            continue;
        }
        let (mode_a, mode_b) = (ma.permissions().mode() & 0o7777, mb.permissions().mode() & 0o7777);
        if mode_a != mode_b {
            ctx.push(
                &loc,
                Kind::Permissions,
                "permissions differ".to_owned(),
                Some(crate::Detail::Values {
                    first: format!("{mode_a:04o}"),
                    second: format!("{mode_b:04o}"),
                }),
            );
        }
        if ma.is_file() {
            let (da, db) = (
                read_bounded(pa, ctx.options.limits.max_input)?,
                read_bounded(pb, ctx.options.limits.max_input)?,
            );
            compare_content(ctx, &loc, &da, &db, 0);
        } else if ma.is_symlink() {
            let (ta, tb) = (std::fs::read_link(pa).ok(), std::fs::read_link(pb).ok());
            if ta != tb {
                ctx.push(&loc, Kind::FileType, "symlink target differs".to_owned(), None);
            }
        }
    }
    for rel in lb.keys().filter(|k| !la.contains_key(*k)) {
        ctx.push(
            std::slice::from_ref(rel),
            Kind::Missing,
            "only in the second".to_owned(),
            None,
        );
    }
    Ok(Format::Directory)
}

fn oci(ctx: &mut Ctx<'_>, a: &Path, b: &Path) -> Result<(), DiffError> {
    let limit = ctx.options.limits.max_input;
    let read_json = |p: &Path| -> Result<Value, DiffError> {
        let data = read_bounded(p, limit)?;
        Ok(serde_json::from_slice(&data).unwrap_or(Value::Null))
    };
    let (ia, ib) = (
        read_json(&a.join("index.json"))?,
        read_json(&b.join("index.json"))?,
    );
    json_values(ctx, &["index.json".to_owned()], &ia, &ib);
    let manifests = |v: &Value| {
        v.get("manifests")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for (i, (ma, mb)) in manifests(&ia)
        .iter()
        .zip(manifests(&ib).iter())
        .enumerate()
        .take(64)
    {
        let digest = |m: &Value| m.get("digest").and_then(Value::as_str).map(str::to_owned);
        let (Some(pa), Some(pb)) = (
            digest(ma).and_then(|d| blob_path(a, &d)),
            digest(mb).and_then(|d| blob_path(b, &d)),
        ) else {
            continue;
        };
        let (va, vb) = (read_json(&pa)?, read_json(&pb)?);
        let loc = vec![format!("manifest {i}")];
        json_values(ctx, &loc, &va, &vb);
        let config = |m: &Value, root: &Path| {
            m.pointer("/config/digest")
                .and_then(Value::as_str)
                .and_then(|d| blob_path(root, d))
        };
        if let (Some(ca), Some(cb)) = (config(&va, a), config(&vb, b)) {
            let (ja, jb) = (read_json(&ca)?, read_json(&cb)?);
            json_values(ctx, &child(&loc, "config"), &ja, &jb);
        }
        let layers = |m: &Value| {
            m.get("layers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        for (j, (la, lb)) in layers(&va).iter().zip(layers(&vb).iter()).enumerate().take(256) {
            let (Some(pa), Some(pb)) = (
                digest(la).and_then(|d| blob_path(a, &d)),
                digest(lb).and_then(|d| blob_path(b, &d)),
            ) else {
                continue;
            };
            if pa.file_name() == pb.file_name() {
                continue;
            }
            let (da, db) = (read_bounded(&pa, limit)?, read_bounded(&pb, limit)?);
            compare_content(ctx, &child(&loc, format!("layer {j}")), &da, &db, 1);
        }
    }
    Ok(())
}

/// JSON documents: each differing value, by JSON pointer.
pub(crate) fn json(ctx: &mut Ctx<'_>, location: &[String], a: &[u8], b: &[u8]) -> bool {
    let (Ok(va), Ok(vb)) = (
        serde_json::from_slice::<Value>(a),
        serde_json::from_slice::<Value>(b),
    ) else {
        return false;
    };
    if va == vb {
        leaf::bytes(ctx, location, a, b, None, true);
        return true;
    }
    json_values(ctx, location, &va, &vb);
    true
}

fn json_values(ctx: &mut Ctx<'_>, location: &[String], a: &Value, b: &Value) {
    let mut stack: Vec<(String, &Value, &Value)> = vec![(String::new(), a, b)];
    while let Some((pointer, x, y)) = stack.pop() {
        if x == y {
            continue;
        }
        if ctx.full() {
            ctx.truncated = true;
            return;
        }
        match (x, y) {
            (Value::Object(ox), Value::Object(oy)) => {
                let keys: std::collections::BTreeSet<&String> = ox.keys().chain(oy.keys()).collect();
                for k in keys.into_iter().rev() {
                    let p = format!("{pointer}/{k}");
                    match (ox.get(k), oy.get(k)) {
                        (Some(vx), Some(vy)) => stack.push((p, vx, vy)),
                        (Some(_), None) => ctx.push(
                            &child(location, p),
                            Kind::Missing,
                            "field only in the first".to_owned(),
                            None,
                        ),
                        (None, Some(_)) => ctx.push(
                            &child(location, p),
                            Kind::Missing,
                            "field only in the second".to_owned(),
                            None,
                        ),
                        (None, None) => {}
                    }
                }
            }
            (Value::Array(ax), Value::Array(ay)) if ax.len() == ay.len() => {
                for (i, (vx, vy)) in ax.iter().zip(ay).enumerate().rev() {
                    stack.push((format!("{pointer}/{i}"), vx, vy));
                }
            }
            _ => {
                let (sx, sy) = (show(x), show(y));
                let key = pointer.rsplit('/').next().unwrap_or_default();
                let kind = if key == "digest" || key == "size" {
                    Kind::Derived
                } else if key == "created" || (leaf::has_timestamp(&sx) && leaf::has_timestamp(&sy)) {
                    Kind::Timestamp
                } else {
                    Kind::Content
                };
                let message = if kind == Kind::Derived {
                    "value differs (it follows the content it describes)".to_owned()
                } else {
                    "value differs".to_owned()
                };
                ctx.push(
                    &child(location, pointer.clone()),
                    kind,
                    message,
                    Some(crate::Detail::Values {
                        first: sx,
                        second: sy,
                    }),
                );
            }
        }
    }
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}
