//! Optimistic concurrency (AIP-154): an update that carries the etag its caller read is refused
//! when the resource changed since.

/// `Ok` when the caller sent no etag or the current one; otherwise `Err` with the current etag,
/// for the ABORTED answer that tells the caller what to read again.
pub fn check(sent: Option<&str>, current: String) -> Result<(), String> {
    match sent {
        Some(sent) if sent != current => Err(current),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_different_etag_is_refused() {
        assert_eq!(check(None, "3".into()), Ok(()));
        assert_eq!(check(Some("3"), "3".into()), Ok(()));
        assert_eq!(check(Some("2"), "3".into()), Err("3".into()));
    }
}
