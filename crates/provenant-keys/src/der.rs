//! Just enough DER to split a `SubjectPublicKeyInfo` into its algorithm OID(s) and key bytes.

/// One TLV: (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 || rest.len() < n {
            return None;
        }
        let (bytes, rest) = rest.split_at(n);
        (
            bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)),
            rest,
        )
    };
    if rest.len() < len {
        return None;
    }
    let (contents, rest) = rest.split_at(len);
    Some((tag, contents, rest))
}

/// A parsed SPKI: the algorithm OID, the parameters OID if any, and the public key bytes.
pub(crate) struct Spki<'a> {
    pub(crate) algorithm: &'a [u8],
    pub(crate) parameter: Option<&'a [u8]>,
    pub(crate) key: &'a [u8],
}

pub(crate) fn parse_spki(der: &[u8]) -> Option<Spki<'_>> {
    let (0x30, spki, []) = tlv(der)? else { return None };
    let (0x30, alg_id, rest) = tlv(spki)? else {
        return None;
    };
    let (0x03, bits, []) = tlv(rest)? else { return None };
    let (0x06, algorithm, params) = tlv(alg_id)? else {
        return None;
    };
    let parameter = match tlv(params) {
        Some((0x06, oid, [])) => Some(oid),
        _ => None,
    };
    let (&0, key) = bits.split_first()? else {
        return None;
    };
    Some(Spki {
        algorithm,
        parameter,
        key,
    })
}
