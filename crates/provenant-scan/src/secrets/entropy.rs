//! Shannon entropy exactly as gitleaks computes it: counts per Unicode scalar (each invalid UTF-8
//! byte counts as one U+FFFD, as Go's `range` over a string does), divided by the length in bytes.

use std::collections::BTreeMap;

/// Bits per character of `data`, gitleaks' `shannonEntropy`.
#[must_use]
pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts: BTreeMap<char, u64> = BTreeMap::new();
    for chunk in data.utf8_chunks() {
        for c in chunk.valid().chars() {
            *counts.entry(c).or_insert(0) += 1;
        }
        let invalid = chunk.invalid().len() as u64;
        if invalid > 0 {
            *counts.entry(char::REPLACEMENT_CHARACTER).or_insert(0) += invalid;
        }
    }
    #[allow(clippy::cast_precision_loss)] // lengths far below 2^52
    let inv_length = 1.0 / data.len() as f64;
    let mut entropy = 0.0;
    for &count in counts.values() {
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let freq = count as f64 * inv_length;
        entropy -= freq * freq.log2();
    }
    entropy
}

#[cfg(test)]
mod tests {
    use super::shannon_entropy;

    #[test]
    fn known_values() {
        assert!(shannon_entropy(b"").abs() < f64::EPSILON);
        assert!(shannon_entropy(b"aaaa").abs() < f64::EPSILON);
        assert!((shannon_entropy(b"ab") - 1.0).abs() < 1e-12);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-12);
    }

    #[test]
    fn multibyte_characters_divide_by_bytes_like_go() {
        // "é" is two bytes: one character with frequency 1/2 gives 0.5 bits.
        assert!((shannon_entropy("é".as_bytes()) - 0.5).abs() < 1e-12);
    }
}
