//! List pagination (AIP-158): page sizes and opaque keyset page tokens.

use uuid::Uuid;

pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// [`crate::bounds::PAGE_SIZE`] as a row count.
pub const MAX_PAGE_SIZE: i64 = crate::bounds::PAGE_SIZE as i64;

/// `page_size`: 0 means the default, larger values are capped, negative values are invalid.
pub fn page_size(value: i32) -> Result<i64, String> {
    match value {
        v if v < 0 => Err("must not be negative".into()),
        0 => Ok(DEFAULT_PAGE_SIZE),
        v => Ok(i64::from(v).min(MAX_PAGE_SIZE)),
    }
}

/// A page token that carries the id of the last item of the previous page.
pub fn decode_uuid_token(token: &str) -> Result<Option<Uuid>, String> {
    if token.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(token).map(Some).map_err(|_| "is not a page token this service issued".into())
}

/// A page token that carries a sequence number.
pub fn decode_seq_token(token: &str) -> Result<Option<i64>, String> {
    if token.is_empty() {
        return Ok(None);
    }
    token
        .parse::<i64>()
        .ok()
        .filter(|seq| *seq > 0)
        .map(Some)
        .ok_or_else(|| "is not a page token this service issued".into())
}

/// Splits a page fetched with `limit + 1` rows into the page and the next page token.
pub fn split_page<T, K: ToString>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> (Vec<T>, String) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        let token = rows.last().map(|row| key(row).to_string()).unwrap_or_default();
        (rows, token)
    } else {
        (rows, String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(0), Ok(50));
        assert_eq!(page_size(7), Ok(7));
        assert_eq!(page_size(5000), Ok(1000));
        assert!(page_size(-1).is_err());
    }

    #[test]
    fn splits_pages() {
        let (page, token) = split_page(vec![1, 2, 3], 2, |n| *n);
        assert_eq!((page, token.as_str()), (vec![1, 2], "2"));
        let (page, token) = split_page(vec![1, 2], 2, |n| *n);
        assert_eq!((page, token.as_str()), (vec![1, 2], ""));
    }

    #[test]
    fn tokens() {
        assert_eq!(decode_seq_token(""), Ok(None));
        assert_eq!(decode_seq_token("12"), Ok(Some(12)));
        assert!(decode_seq_token("-3").is_err());
        assert!(decode_uuid_token("zzz").is_err());
    }
}
