//! Coverage reports: lcov, Cobertura XML, `JaCoCo` XML, coverage.py JSON and llvm-cov JSON export.

use serde_json::Value;

use crate::json::{at, field, opt_array, opt_object, opt_u64};
use crate::{CoverageReport, FileCoverage, ReadErrorKind, normalise_path};

pub(crate) fn looks_like_lcov(text: &[u8]) -> bool {
    text.starts_with(b"TN:") || text.starts_with(b"SF:")
}

fn lcov_number(line_no: usize, text: &[u8], what: &str) -> Result<u64, ReadErrorKind> {
    // Plain digits (nearly every number of a tracefile), at most 19 of them: no overflow.
    if !text.is_empty() && text.len() <= 19 && text.iter().all(u8::is_ascii_digit) {
        return Ok(text.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')));
    }
    let s = std::str::from_utf8(text).unwrap_or_default().trim();
    // Some generators write hit counts as floats or negative numbers on overflow; a hit is a hit.
    s.parse::<u64>()
        .or_else(|_| s.parse::<f64>().map(|f| u64::from(f > 0.0)))
        .or_else(|_| s.parse::<i64>().map(|i| u64::from(i > 0)))
        .map_err(|_| ReadErrorKind::Line {
            line: line_no,
            problem: format!("{what} is not a number"),
        })
}

/// A `DA:` line's line number and hit count when it is two runs of at most 19 digits separated by a
/// comma, and nothing else (what `lcov_number` reads the same way); `None` for anything else.
fn plain_da(rest: &[u8]) -> Option<(u64, u64)> {
    let mut numbers = [0u64; 2];
    let mut digits = [0usize; 2];
    let mut which = 0;
    for &b in rest {
        match b {
            b'0'..=b'9' => {
                let (n, d) = (numbers.get_mut(which)?, digits.get_mut(which)?);
                // Nineteen digits at most, counted before the next is taken: below 10^19, they never
                // overflow. A longer number goes to the general reader.
                if *d == 19 {
                    return None;
                }
                *n = *n * 10 + u64::from(b - b'0');
                *d += 1;
            }
            b',' if which == 0 => which = 1,
            _ => return None,
        }
    }
    (which == 1 && digits[0] > 0 && digits[1] > 0).then_some((numbers[0], numbers[1]))
}

/// An lcov record being read: path, DA lines, LF, LH.
type LcovRecord = (String, Vec<(u64, bool)>, Option<u64>, Option<u64>);

pub(crate) fn read_lcov(text: &[u8]) -> Result<CoverageReport, ReadErrorKind> {
    let mut report = CoverageReport::default();
    let mut current: Option<LcovRecord> = None;
    // Each record's line list is sized as the one before it: files of a tracefile are alike, and the
    // list then seldom grows (a million lines are otherwise copied as each list doubles).
    let mut last_len = 0;
    for (i, raw) in crate::split_lines(text).enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let Some(rest) = line.strip_prefix(b"DA:") {
            // Nearly every line of a tracefile: `DA:<digits>,<digits>`, read in one pass over its bytes.
            if let Some((n, hits)) = plain_da(rest)
                && let Some((_, lines, _, _)) = current.as_mut()
            {
                lines.push((n, hits > 0));
                continue;
            }
            let mut parts = rest.splitn(3, |&b| b == b',');
            let (Some(n), Some(hits)) = (parts.next(), parts.next()) else {
                return Err(ReadErrorKind::Line {
                    line: line_no,
                    problem: "DA: needs a line number and a hit count".to_owned(),
                });
            };
            let n = lcov_number(line_no, n, "the DA line number")?;
            let hits = lcov_number(line_no, hits, "the DA hit count")?;
            let Some((_, lines, _, _)) = current.as_mut() else {
                return Err(ReadErrorKind::Line {
                    line: line_no,
                    problem: "DA: outside a record (no SF: before it)".to_owned(),
                });
            };
            lines.push((n, hits > 0));
        } else if let Some(rest) = line.strip_prefix(b"SF:") {
            if let Some((path, lines, lf, lh)) = current.take() {
                last_len = lines.len();
                report.files.push((path, lcov_file(lines, lf, lh)));
            }
            let path = String::from_utf8_lossy(rest);
            current = Some((
                normalise_path(path.trim()),
                Vec::with_capacity(last_len),
                None,
                None,
            ));
        } else if let Some(rest) = line.strip_prefix(b"LF:") {
            let n = lcov_number(line_no, rest, "LF")?;
            if let Some(c) = current.as_mut() {
                c.2 = Some(n);
            }
        } else if let Some(rest) = line.strip_prefix(b"LH:") {
            let n = lcov_number(line_no, rest, "LH")?;
            if let Some(c) = current.as_mut() {
                c.3 = Some(n);
            }
        } else if line == b"end_of_record"
            && let Some((path, lines, lf, lh)) = current.take()
        {
            last_len = lines.len();
            report.files.push((path, lcov_file(lines, lf, lh)));
        }
    }
    if let Some((path, lines, lf, lh)) = current.take() {
        report.files.push((path, lcov_file(lines, lf, lh)));
    }
    Ok(report)
}

fn lcov_file(mut lines: Vec<(u64, bool)>, lf: Option<u64>, lh: Option<u64>) -> FileCoverage {
    // Sized from the record before it: a short record after a long one gives back what it did not use.
    if lines.capacity() > 2 * lines.len() {
        lines.shrink_to_fit();
    }
    match (lines.is_empty(), lf, lh) {
        (true, Some(found), Some(hit)) => FileCoverage::Summary {
            found,
            hit: hit.min(found),
        },
        _ => FileCoverage::Lines(lines),
    }
}

fn element_error(
    doc: &roxmltree::Document<'_>,
    node: roxmltree::Node<'_, '_>,
    problem: &str,
) -> ReadErrorKind {
    ReadErrorKind::Element {
        line: doc.text_pos_at(node.range().start).row as usize,
        element: node.tag_name().name().to_owned(),
        problem: problem.to_owned(),
    }
}

fn attr_u64(
    doc: &roxmltree::Document<'_>,
    node: roxmltree::Node<'_, '_>,
    name: &str,
) -> Result<u64, ReadErrorKind> {
    let value = node
        .attribute(name)
        .ok_or_else(|| element_error(doc, node, &format!("has no {name} attribute")))?;
    value
        .trim()
        .parse::<u64>()
        .or_else(|_| value.trim().parse::<f64>().map(|f| u64::from(f > 0.0)))
        .map_err(|_| element_error(doc, node, &format!("attribute {name} is not a number")))
}

pub(crate) fn read_cobertura(doc: &roxmltree::Document<'_>) -> Result<CoverageReport, ReadErrorKind> {
    let mut report = CoverageReport::default();
    for class in doc
        .root_element()
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "class")
    {
        let file = class
            .attribute("filename")
            .ok_or_else(|| element_error(doc, class, "has no filename attribute"))?;
        let mut lines = Vec::new();
        for list in class.children().filter(|n| n.tag_name().name() == "lines") {
            for line in list.children().filter(|n| n.tag_name().name() == "line") {
                let n = attr_u64(doc, line, "number")?;
                let hits = attr_u64(doc, line, "hits")?;
                lines.push((n, hits > 0));
            }
        }
        report
            .files
            .push((normalise_path(file), FileCoverage::Lines(lines)));
    }
    Ok(report)
}

pub(crate) fn read_jacoco(doc: &roxmltree::Document<'_>) -> Result<CoverageReport, ReadErrorKind> {
    let mut report = CoverageReport::default();
    for source in doc
        .root_element()
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "sourcefile")
    {
        let name = source
            .attribute("name")
            .ok_or_else(|| element_error(doc, source, "has no name attribute"))?;
        let package = source
            .parent_element()
            .filter(|p| p.tag_name().name() == "package")
            .and_then(|p| p.attribute("name"))
            .unwrap_or_default();
        let mut lines = Vec::new();
        for line in source.children().filter(|n| n.tag_name().name() == "line") {
            let n = attr_u64(doc, line, "nr")?;
            let covered = attr_u64(doc, line, "ci")?;
            let missed = attr_u64(doc, line, "mi")?;
            if covered > 0 || missed > 0 {
                lines.push((n, covered > 0));
            }
        }
        let path = if package.is_empty() {
            name.to_owned()
        } else {
            format!("{package}/{name}")
        };
        report
            .files
            .push((normalise_path(&path), FileCoverage::Lines(lines)));
    }
    Ok(report)
}

fn line_numbers(v: &Value, path: &str, key: &str) -> Result<Vec<u64>, ReadErrorKind> {
    opt_array(v, path, key)?
        .iter()
        .enumerate()
        .map(|(i, n)| {
            n.as_u64()
                .ok_or_else(|| field(path, &format!("{key}[{i}]"), "a line number"))
        })
        .collect()
}

pub(crate) fn read_coveragepy(v: &Value) -> Result<CoverageReport, ReadErrorKind> {
    let mut report = CoverageReport::default();
    let files = opt_object(v, "$", "files")?.ok_or_else(|| field("$", "files", "an object"))?;
    for (name, file) in files {
        let path = format!("$.files[{}]", serde_json::Value::String(name.clone()));
        let mut lines: Vec<(u64, bool)> = line_numbers(file, &path, "executed_lines")?
            .into_iter()
            .map(|n| (n, true))
            .collect();
        lines.extend(
            line_numbers(file, &path, "missing_lines")?
                .into_iter()
                .map(|n| (n, false)),
        );
        report
            .files
            .push((normalise_path(name), FileCoverage::Lines(lines)));
    }
    Ok(report)
}

pub(crate) fn read_llvm_cov(v: &Value) -> Result<CoverageReport, ReadErrorKind> {
    let mut report = CoverageReport::default();
    for (i, data) in opt_array(v, "$", "data")?.iter().enumerate() {
        let dpath = at("$", "data", i);
        for (j, file) in opt_array(data, &dpath, "files")?.iter().enumerate() {
            let fpath = at(&dpath, "files", j);
            let name = file
                .get("filename")
                .and_then(Value::as_str)
                .ok_or_else(|| field(&fpath, "filename", "a string"))?;
            let lines = file
                .get("summary")
                .and_then(|s| s.get("lines"))
                .ok_or_else(|| field(&fpath, "summary.lines", "an object"))?;
            let lpath = format!("{fpath}.summary.lines");
            let found = opt_u64(lines, &lpath, "count")?.ok_or_else(|| field(&lpath, "count", "a number"))?;
            let hit =
                opt_u64(lines, &lpath, "covered")?.ok_or_else(|| field(&lpath, "covered", "a number"))?;
            report.files.push((
                normalise_path(name),
                FileCoverage::Summary {
                    found,
                    hit: hit.min(found),
                },
            ));
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn da_lines_take_the_first_two_fields_and_need_both() {
        let report = read_lcov(b"SF:a.rs\nDA:3,2,checksum\nDA:4,0\nDA:5,1.5\nend_of_record\n").unwrap();
        let [(path, FileCoverage::Lines(lines))] = report.files.as_slice() else {
            panic!("{:?}", report.files)
        };
        assert_eq!(path, "a.rs");
        assert_eq!(lines, &[(3, true), (4, false), (5, true)]);
        let err = read_lcov(b"SF:a.rs\nDA:3\nend_of_record\n").unwrap_err();
        assert!(matches!(err, ReadErrorKind::Line { line: 2, .. }), "{err:?}");
    }

    #[test]
    fn plain_da_lines_read_as_the_general_reader_reads_them() {
        let plain: [&[u8]; 6] = [
            b"1,0",
            b"0,0",
            b"42,7",
            b"9999999999999999999,1",
            b"1,9999999999999999999",
            b"007,010",
        ];
        for rest in plain {
            let (n, hits) = plain_da(rest).expect("plain");
            let mut parts = rest.splitn(3, |&b| b == b',');
            assert_eq!(lcov_number(1, parts.next().unwrap(), "n").unwrap(), n);
            assert_eq!(lcov_number(1, parts.next().unwrap(), "hits").unwrap(), hits);
        }
        // Anything else goes to the general reader: a checksum, signs, floats, spaces, too many digits.
        let other: [&[u8]; 14] = [
            b"",
            b",",
            b"1",
            b"1,",
            b",1",
            b"1,2,abc",
            b"1,-1",
            b"1,1.5",
            b" 1,2",
            b"1,2 ",
            b"10000000000000000000,1",
            // Twenty digits whose nineteen first are above u64::MAX / 10 (found by fuzzing: the
            // multiplication overflowed before the digits were counted).
            b"22222224222200000000000,1",
            b"1,99999999999999999999",
            b"1,,2",
        ];
        for rest in other {
            assert_eq!(plain_da(rest), None, "{}", String::from_utf8_lossy(rest));
        }
        // And a tracefile reads the same either way.
        let report = read_lcov(b"SF:a.rs\nDA:1,0\nDA:2,3,md5\nDA:3,1.5\nDA:4,-2\nend_of_record\n").unwrap();
        let FileCoverage::Lines(lines) = &report.files[0].1 else {
            panic!()
        };
        assert_eq!(lines, &[(1, false), (2, true), (3, true), (4, false)]);
    }
}
