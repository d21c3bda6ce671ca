//! The auditor's report: one self-contained HTML file of a verified lineage. Styles are inline, the
//! graph is inline SVG, there is no script, font, image or link that would make a request, so it reads
//! the same offline and without JavaScript. The same report gives byte-identical HTML.

use std::fmt::Write as _;

use crate::graph::kind_name;
use crate::{Edge, EdgeKind, Report, Verdict};

/// What the report says beside the lineage itself.
#[derive(Debug, Clone, Default)]
pub struct ReportContext {
    /// The image as given (`registry/repo@sha256:…`).
    pub image: String,
    /// The environment verified down to.
    pub environment: Option<String>,
    /// The environments of the chain, in order.
    pub environments: Vec<String>,
    /// The ledger location, as given.
    pub ledger: Option<String>,
    /// The command line that re-verifies it.
    pub verify_command: String,
}

/// HTML-escapes text.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:80em}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\
code{font-family:monospace;font-size:.9em;word-break:break-all}\
table{border-collapse:collapse;width:100%;font-size:.9em}\
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top;word-break:break-word}\
th{background:#f3f3f3}.holds{color:#075e07}.broken{color:#b00;font-weight:bold}.shown{color:#666}\
.verdict{font-size:1.2em;padding:.5em;border:2px solid}.ok{border-color:#075e07}.bad{border-color:#b00}\
pre{background:#f6f6f6;padding:1em;overflow-x:auto}";

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "holds",
        Verdict::Broken => "broken",
        _ => "shown",
    }
}

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "holds",
        Verdict::Broken => "BROKEN",
        _ => "shown",
    }
}

/// Every edge, depth first, with its depth.
fn flatten(root: &Edge) -> Vec<(usize, &Edge)> {
    let mut out = Vec::new();
    let mut stack = vec![(0usize, root)];
    while let Some((depth, e)) = stack.pop() {
        out.push((depth, e));
        for child in e.edges.iter().rev() {
            stack.push((depth + 1, child));
        }
    }
    out
}

fn svg(rows: &[(usize, &Edge)]) -> String {
    const ROW: usize = 26;
    const INDENT: usize = 22;
    let height = rows.len() * ROW + 10;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"lineage graph\" width=\"100%\" height=\"{height}\" viewBox=\"0 0 1000 {height}\">"
    );
    // Lines from each node to its parent (the nearest shallower row above it).
    for (i, (depth, _)) in rows.iter().enumerate() {
        if *depth == 0 {
            continue;
        }
        if let Some(parent) = rows
            .get(..i)
            .and_then(|r| r.iter().rposition(|(d, _)| *d + 1 == *depth))
        {
            let (x, px) = (depth * INDENT + 6, (depth - 1) * INDENT + 12);
            let (y, py) = (i * ROW + 18, parent * ROW + 24);
            let _ = write!(
                out,
                "<path d=\"M{px} {py} V{y} H{x}\" fill=\"none\" stroke=\"#999\"/>"
            );
        }
    }
    for (i, (depth, e)) in rows.iter().enumerate() {
        let color = match e.verdict {
            Verdict::Holds => "#075e07",
            Verdict::Broken => "#bb0000",
            _ => "#777777",
        };
        let x = depth * INDENT + 6;
        let y = i * ROW + 8;
        let mut text = kind_name(e);
        if !e.target.is_empty() {
            text.push(' ');
            text.push_str(&e.target);
        }
        let text: String = text.chars().take(110).collect();
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"{y}\" width=\"12\" height=\"16\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\" font-size=\"13\" font-family=\"monospace\" fill=\"{color}\">{} ({})</text>",
            x + 18,
            y + 13,
            escape(&text),
            verdict_text(e.verdict)
        );
    }
    out.push_str("</svg>");
    out
}

fn table(out: &mut String, rows: &[&Edge], empty: &str) {
    if rows.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(empty));
        return;
    }
    out.push_str("<table><tr><th>edge</th><th>verdict</th><th>check</th><th>signer</th><th>evidence digest</th><th>detail</th></tr>");
    for e in rows {
        let _ = write!(
            out,
            "<tr><td>{} {}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&kind_name(e)),
            escape(&e.target),
            verdict_class(e.verdict),
            verdict_text(e.verdict),
            e.check.map(crate::reason::Check::name).unwrap_or_default(),
            escape(e.signer.as_deref().unwrap_or("")),
            e.evidence.map(|d| d.to_string()).unwrap_or_default(),
            escape(&e.detail)
        );
    }
    out.push_str("</table>");
}

/// The report as one HTML document.
#[must_use]
#[allow(clippy::too_many_lines)] // the document top to bottom, section by section
pub fn render(report: &Report, context: &ReportContext) -> String {
    let rows = flatten(&report.lineage);
    let edges: Vec<&Edge> = rows.iter().map(|(_, e)| *e).collect();
    let of = |kinds: &[EdgeKind]| -> Vec<&Edge> {
        edges
            .iter()
            .copied()
            .filter(|e| kinds.contains(&e.kind))
            .collect()
    };
    let broken = report.lineage.broken_edges();
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    let _ = write!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>Lineage of {}</title><style>{STYLE}</style></head><body>",
        escape(&report.digest.to_string())
    );
    let _ = write!(
        out,
        "<h1>Lineage report</h1><p>Image <code id=\"digest\">{}</code></p>",
        escape(&report.digest.to_string())
    );
    let _ = write!(out, "<p>Reference <code>{}</code></p>", escape(&context.image));
    let commits: Vec<&str> = of(&[EdgeKind::Source])
        .iter()
        .map(|e| e.target.as_str())
        .collect();
    let _ = write!(
        out,
        "<p>Source <code id=\"commit\">{}</code></p>",
        escape(commits.first().copied().unwrap_or("not recorded"))
    );
    if let Some(env) = &context.environment {
        let _ = write!(
            out,
            "<p>Environment <strong id=\"environment\">{}</strong>; chain: <span id=\"environments\">{}</span></p>",
            escape(env),
            escape(&context.environments.join(" → "))
        );
    }
    if report.verified {
        out.push_str("<p class=\"verdict ok holds\">Lineage verified: every edge holds.</p>");
    } else {
        let _ = write!(
            out,
            "<p class=\"verdict bad broken\">Lineage BROKEN at {} edge(s).</p><ul>",
            broken.len()
        );
        for e in &broken {
            let _ = write!(
                out,
                "<li><strong>{} {}</strong> [{}]: {}</li>",
                escape(&kind_name(e)),
                escape(&e.target),
                e.check.map(crate::reason::Check::name).unwrap_or_default(),
                escape(&e.detail)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("<h2>Graph</h2>");
    out.push_str(&svg(&rows));
    out.push_str("<h2>Every edge</h2>");
    table(&mut out, &edges, "no edges");
    out.push_str("<h2>SBOM</h2>");
    table(&mut out, &of(&[EdgeKind::Sbom]), "no SBOM");
    out.push_str("<h2>Gate decision</h2>");
    table(&mut out, &of(&[EdgeKind::Gate]), "not verified (no --env)");
    out.push_str("<h2>Approvals</h2>");
    table(
        &mut out,
        &of(&[EdgeKind::Approval]),
        "no approval required or recorded",
    );
    out.push_str("<h2>Promotions, deployments and rollbacks</h2>");
    table(
        &mut out,
        &of(&[
            EdgeKind::Promotion,
            EdgeKind::Config,
            EdgeKind::Deployment,
            EdgeKind::Rollback,
            EdgeKind::ReleaseHealth,
        ]),
        "none",
    );
    out.push_str("<h2>How to re-verify offline</h2><ol>");
    let digest = report.digest.to_string();
    let ledger = context.ledger.as_deref().unwrap_or("sqlite:ledger.db");
    let _ = write!(
        out,
        "<li>Keep the ledger's verifier key <code>P.pub</code>, obtained out of band, and the public keys of the roles file.</li>\
<li>Export the release's audit bundle and verify it without the ledger: <pre>provenant ledger export --ledger {} --subject {} -o audit.tar\nprovenant ledger verify-bundle audit.tar --key P.pub</pre></li>\
<li>Verify the whole ledger against a checkpoint you saved: <pre>provenant ledger verify --ledger {} --key P.pub --checkpoint saved.checkpoint</pre></li>\
<li>Verify the lineage again, edge by edge: <pre>{}</pre></li></ol>",
        escape(ledger),
        escape(&digest),
        escape(ledger),
        escape(&context.verify_command)
    );
    out.push_str("<p class=\"shown\">Generated by provenant lineage report. This file makes no network request.</p></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reason::Reason;

    #[test]
    fn the_report_escapes_what_the_evidence_says_and_loads_nothing() {
        let digest = provenant_digest::Algorithm::Sha256.hash_bytes(b"image");
        let mut root = Edge::new(EdgeKind::Image, "oci:<script>alert(1)</script>");
        root.push(Edge::new(EdgeKind::Gate, "").broken(Reason::NoGateDecision { image: digest }));
        let report = Report {
            verified: false,
            digest,
            lineage: root,
            skipped: Vec::new(),
        };
        let html = render(&report, &ReportContext::default());
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        for needle in ["src=", "href=", "@import", "url("] {
            assert!(!html.contains(needle), "{needle} in {html}");
        }
        assert!(html.contains(&digest.to_string()));
        assert!(html.contains("Lineage BROKEN at 1 edge(s)"));
        assert_eq!(html, render(&report, &ReportContext::default()), "deterministic");
    }
}
