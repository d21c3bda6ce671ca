//! The lineage drawn as a graph: Mermaid flowcharts and Graphviz digraphs, one node per edge of the
//! tree (its kind, target and verdict), in the tree's order, so the same report gives the same text.

use std::fmt::Write as _;

use crate::{Edge, Verdict};

/// An edge's kind as JSON spells it (`gate`, `approval`, …).
#[must_use]
pub fn kind_name(edge: &Edge) -> String {
    serde_json::to_value(edge.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Holds => "holds",
        Verdict::Broken => "BROKEN",
        _ => "shown",
    }
}

/// Text safe inside a quoted label of either format: quotes, brackets and angle brackets replaced,
/// long digests shortened, at most 120 characters.
fn label(edge: &Edge) -> String {
    let mut text = kind_name(edge);
    if !edge.target.is_empty() {
        text.push(' ');
        text.push_str(&edge.target);
    }
    let _ = write!(text, " ({})", mark(edge.verdict));
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '[' | '<' | '{' => '(',
            ']' | '>' | '}' => ')',
            '\\' | '\n' | '\r' | '|' | '#' | ';' => ' ',
            c => c,
        })
        .take(120)
        .collect()
}

/// Nodes in depth-first order with their parent's number.
fn walk(root: &Edge) -> Vec<(usize, Option<usize>, &Edge)> {
    let mut out = Vec::new();
    let mut stack = vec![(None, root)];
    while let Some((parent, edge)) = stack.pop() {
        let id = out.len();
        out.push((id, parent, edge));
        for child in edge.edges.iter().rev() {
            stack.push((Some(id), child));
        }
    }
    out
}

/// A Mermaid flowchart of the lineage; broken nodes are styled `broken`.
#[must_use]
pub fn mermaid(root: &Edge) -> String {
    let mut out = String::from("flowchart TD\n");
    let nodes = walk(root);
    for (id, _, edge) in &nodes {
        let _ = writeln!(out, "  n{id}[\"{}\"]", label(edge));
    }
    for (id, parent, _) in &nodes {
        if let Some(p) = parent {
            let _ = writeln!(out, "  n{p} --> n{id}");
        }
    }
    out.push_str("  classDef broken fill:#fdd,stroke:#c00\n");
    for (id, _, edge) in &nodes {
        if edge.verdict == Verdict::Broken {
            let _ = writeln!(out, "  class n{id} broken");
        }
    }
    out
}

/// A Graphviz digraph of the lineage; broken nodes are red.
#[must_use]
pub fn dot(root: &Edge) -> String {
    let mut out = String::from("digraph lineage {\n  rankdir=TB;\n  node [shape=box];\n");
    let nodes = walk(root);
    for (id, _, edge) in &nodes {
        let color = match edge.verdict {
            Verdict::Holds => "darkgreen",
            Verdict::Broken => "red",
            _ => "gray",
        };
        let _ = writeln!(out, "  n{id} [label=\"{}\", color={color}];", label(edge));
    }
    for (id, parent, _) in &nodes {
        if let Some(p) = parent {
            let _ = writeln!(out, "  n{p} -> n{id};");
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EdgeKind;
    use crate::reason::Reason;

    #[test]
    fn both_graphs_name_every_edge_and_mark_the_broken_ones() {
        let mut root = Edge::new(EdgeKind::Image, "oci:app@sha256:ab");
        root.push(
            Edge::new(EdgeKind::Gate, "signed by role ci").broken(Reason::NoGateDecision {
                image: provenant_digest::Algorithm::Sha256.hash_bytes(b"x"),
            }),
        );
        root.push(Edge::new(EdgeKind::Environment, "prod \"quoted\" [x]"));
        let m = mermaid(&root);
        assert!(m.contains("n1[\"gate signed by role ci (BROKEN)\"]"), "{m}");
        assert!(m.contains("n2[\"environment prod 'quoted' (x) (holds)\"]"), "{m}");
        assert!(m.contains("n0 --> n1") && m.contains("class n1 broken"), "{m}");
        let d = dot(&root);
        assert!(
            d.contains("n1 [label=\"gate signed by role ci (BROKEN)\", color=red];"),
            "{d}"
        );
        assert!(d.contains("n0 -> n2;"), "{d}");
    }
}
