//! Finding the next byte that needs a closer look, eight bytes at a time.
//!
//! JSON strings and terminal text are mostly plain ASCII; the escaper and the
//! payload reader only care about the rare bytes that are not. Each 8-byte
//! word is tested at once with the classic bit tricks (exact for "is there
//! any such byte", and the lowest flagged byte is always a real one).

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in (at least) the lowest byte of `x` that is below `n` (`n` ≤ 128).
#[inline]
fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(LO * u64::from(n)) & !x & HI
}

/// High bit set in (at least) the lowest byte of `x` equal to `b`.
#[inline]
fn equal(x: u64, b: u8) -> u64 {
    below(x ^ (LO * u64::from(b)), 1)
}

#[inline]
fn word(bytes: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[i..i + 8]);
    u64::from_le_bytes(w)
}

/// Index of the first control character (below 0x20), `"` or `\`, or the length.
pub fn json_special(bytes: &[u8]) -> usize {
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let x = word(bytes, i);
        let hit = below(x, 0x20) | equal(x, b'"') | equal(x, b'\\');
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .unwrap_or(bytes.len() - i)
}

/// Like [`json_special`], and also DEL and every non-ASCII byte.
pub fn json_special_or_non_ascii(bytes: &[u8]) -> usize {
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let x = word(bytes, i);
        let hit = below(x, 0x20) | equal(x, b'"') | equal(x, b'\\') | equal(x, 0x7f) | (x & HI);
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f)
        .unwrap_or(bytes.len() - i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_special_byte_wherever_it_is() {
        let specials = [0u8, 0x1f, b'"', b'\\', 0x7f, 0x80, 0xc5, 0xff];
        let plain = [b' ', b'a', b'~', 0x21, 0x5b, 0x5d, 0x7e, 0x20];
        for len in 0..40 {
            for at in 0..=len {
                for &s in &specials {
                    for &p in &plain {
                        let mut bytes = vec![p; len];
                        if at < len {
                            bytes[at] = s;
                        }
                        // More specials after the first must not confuse it.
                        for later in bytes.iter_mut().skip(at + 3) {
                            *later = s;
                        }
                        let slow = bytes.iter().position(|&b| b < 0x20 || b == b'"' || b == b'\\');
                        assert_eq!(json_special(&bytes), slow.unwrap_or(len), "{bytes:?}");
                        let slow = bytes
                            .iter()
                            .position(|&b| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f);
                        assert_eq!(json_special_or_non_ascii(&bytes), slow.unwrap_or(len), "{bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn agrees_with_the_slow_scan_on_every_byte_pair() {
        for a in 0..=255u8 {
            for b in [0u8, b'a', b'"', 0x7f, 0x80, 0xff, 0x20, 0x1f] {
                let bytes = [b'x', b'x', b'x', a, b, b'x', b'x', b'x', b'x'];
                let slow = bytes.iter().position(|&b| b < 0x20 || b == b'"' || b == b'\\');
                assert_eq!(json_special(&bytes), slow.unwrap_or(bytes.len()));
                let slow = bytes
                    .iter()
                    .position(|&b| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f);
                assert_eq!(json_special_or_non_ascii(&bytes), slow.unwrap_or(bytes.len()));
            }
        }
    }
}
