//! Thai national ID (เลขประจำตัวประชาชน): checksum, synthetic generation and masking.
//!
//! Check digit: S = Σ_{i=1..12} (14 − i)·dᵢ, check = (11 − S mod 11) mod 10.

/// The check digit for the first twelve digits.
fn check_digit(first12: &[u8]) -> u8 {
    let sum: u32 = first12
        .iter()
        .enumerate()
        .map(|(i, d)| (13 - i as u32) * u32::from(*d))
        .sum();
    ((11 - sum % 11) % 10) as u8
}

/// True when `s` is exactly 13 ASCII digits with a valid check digit.
pub fn is_valid(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() != 13 || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let digits: Vec<u8> = bytes.iter().map(|b| b - b'0').collect();
    check_digit(&digits[..12]) == digits[12]
}

/// A fresh synthetic ID with a valid checksum. The first digit is 1 (the class of IDs
/// issued at birth), the rest random; test data only, never stored as anyone's real ID.
pub fn generate() -> String {
    let random = uuid::Uuid::new_v4();
    let mut digits = vec![1u8];
    digits.extend(random.as_bytes().iter().take(11).map(|b| b % 10));
    digits.push(check_digit(&digits));
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// `1101401234566` → `1-1014-xxxxx-xx-6`: the first five digits and the check digit are kept
/// (enough to tell synthetic test citizens apart), the rest hidden.
pub fn mask(id: &str) -> String {
    let digits: Vec<char> = id.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 13 {
        return "x".repeat(id.chars().count());
    }
    format!(
        "{}-{}-xxxxx-xx-{}",
        digits[0],
        digits[1..5].iter().collect::<String>(),
        digits[12]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_ids_validate() {
        // Examples from python-stdnum and Presidio's tests.
        assert!(is_valid("3100600445635"));
        assert!(is_valid("1101401234566"));
        assert!(!is_valid("1234545678789"));
        assert!(!is_valid("110140123456"));
        assert!(!is_valid("110140123456a"));
        assert!(!is_valid("๑๑๐๑๔๐๑๒๓๔๕๖๖"));
    }

    #[test]
    fn generated_ids_are_valid_and_vary() {
        let ids: Vec<String> = (0..50).map(|_| generate()).collect();
        assert!(ids.iter().all(|id| is_valid(id)), "{ids:?}");
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert!(distinct.len() > 40);
    }

    #[test]
    fn masking_keeps_prefix_and_check_digit() {
        assert_eq!(mask("1101401234566"), "1-1014-xxxxx-xx-6");
        assert_eq!(mask("1-1014-01234-56-6"), "1-1014-xxxxx-xx-6");
    }
}
