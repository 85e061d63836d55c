//! Domain enums with a stable name per value: statuses, kinds and roles as Rust enums with no
//! "unspecified" value, stored and serialized by name (the proto value's name, so the wire
//! mapping is by name and stored rows keep their meaning).

/// Defines a domain enum whose values each have a stable name:
///
/// ```
/// baton_platform::named_enum! {
///     /// Where a piece of work stands.
///     pub enum Stage {
///         Open = "STAGE_OPEN",
///         Done = "STAGE_DONE",
///     }
/// }
/// assert_eq!(Stage::from_name("STAGE_DONE"), Some(Stage::Done));
/// assert_eq!(Stage::Open.as_str(), "STAGE_OPEN");
/// ```
///
/// It gets `ALL`, `as_str`, `from_name`, `Display`, `TryFrom<String>` (for reading rows), and
/// serde as the name.
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's stable name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value of a name, if it is one.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::TryFrom<String> for $name {
            type Error = String;

            fn try_from(name: String) -> Result<Self, String> {
                Self::from_name(&name)
                    .ok_or_else(|| format!("{name:?} is not a {}", stringify!($name)))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::try_from(name).map_err(::serde::de::Error::custom)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::named_enum! {
        enum Light {
            Red = "LIGHT_RED",
            Green = "LIGHT_GREEN",
        }
    }

    #[test]
    fn names_round_trip() {
        for light in Light::ALL {
            assert_eq!(Light::from_name(light.as_str()), Some(*light));
            let json = serde_json::to_string(light).expect("serializes");
            assert_eq!(serde_json::from_str::<Light>(&json).expect("deserializes"), *light);
        }
        assert_eq!(Light::try_from("LIGHT_BLUE".to_string()), Err("\"LIGHT_BLUE\" is not a Light".into()));
        assert!(serde_json::from_str::<Light>("\"LIGHT_UNSPECIFIED\"").is_err());
    }
}
