//! Update masks (AIP-134): which fields of a resource an update changes.

use crate::validate::Violations;

/// The fields `mask` names, of a resource whose updatable fields are `all` (each with its path):
/// `*` names them all, no mask names those the request sets (`is_set`), and an unknown path is a
/// violation of `update_mask` naming the known ones. A mask that names nothing where the request
/// sets nothing is a violation too: the update would change nothing.
pub fn fields<F: Copy + PartialEq>(
    v: &mut Violations,
    mask: Option<&prost_types::FieldMask>,
    all: &[F],
    path: fn(F) -> &'static str,
    is_set: impl Fn(F) -> bool,
) -> Vec<F> {
    let paths = mask.map(|m| m.paths.as_slice()).unwrap_or_default();
    if paths.is_empty() {
        let set: Vec<F> = all.iter().copied().filter(|f| is_set(*f)).collect();
        if set.is_empty() {
            v.add("update_mask", "names no field, and the request sets none to change");
        }
        return set;
    }
    if paths == ["*"] {
        return all.to_vec();
    }
    let mut fields = Vec::new();
    for named in paths {
        match all.iter().copied().find(|f| path(*f) == named) {
            Some(field) if !fields.contains(&field) => fields.push(field),
            Some(_) => {}
            None => {
                let known: Vec<&str> = all.iter().map(|f| path(*f)).collect();
                v.add(
                    "update_mask",
                    format!("names \"{named}\", which is not a field an update changes ({})", known.join(", ")),
                );
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum F {
        A,
        B,
    }

    fn path(f: F) -> &'static str {
        match f {
            F::A => "a",
            F::B => "b",
        }
    }

    fn mask(paths: &[&str]) -> prost_types::FieldMask {
        prost_types::FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }
    }

    #[test]
    fn named_all_or_the_set_ones() {
        let mut v = Violations::new();
        assert_eq!(fields(&mut v, Some(&mask(&["b", "b"])), &[F::A, F::B], path, |_| false), [F::B]);
        assert_eq!(fields(&mut v, Some(&mask(&["*"])), &[F::A, F::B], path, |_| false), [F::A, F::B]);
        assert_eq!(fields(&mut v, None, &[F::A, F::B], path, |f| f == F::A), [F::A]);
        assert!(v.is_empty());
        assert!(fields(&mut v, Some(&mask(&["c"])), &[F::A, F::B], path, |_| true).is_empty());
        assert!(!v.is_empty());
        let mut v = Violations::new();
        assert!(fields(&mut v, None, &[F::A, F::B], path, |_| false).is_empty());
        assert!(!v.is_empty(), "nothing to change");
    }
}
