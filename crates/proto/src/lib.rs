//! Baton's protobuf contracts: messages, gRPC clients and servers, and the encoded descriptor set
//! for reflection. Generated at build time from `proto/` by protox and tonic-prost-build.

#![allow(clippy::all, missing_docs)]

/// The encoded `FileDescriptorSet` of every Baton proto file, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/baton_descriptor.bin"));

/// The gRPC codec every generated client and server uses: prost encoding, as
/// `tonic_prost::ProstCodec`, with 256-byte buffers instead of 8 KiB. Tonic allocates the encoding
/// (and decoding) buffer eagerly for every call and keeps it for the life of a stream, so with
/// thousands of open WatchNotifications streams the default buffers were most of the
/// notifications service's memory. Messages here are small; a larger one grows its buffer.
pub mod codec {
    use std::marker::PhantomData;

    use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
    use tonic::{Code, Status};
    use tonic_prost::ProstEncoder;
    use tonic_types::{ErrorDetails, StatusExt};

    /// Initial buffer per call and stream.
    pub const BUFFER_SIZE: usize = 256;
    /// How much a stream encodes before it yields to send (tonic's default).
    pub const YIELD_THRESHOLD: usize = 32 * 1024;

    /// See the module documentation.
    #[derive(Debug, Clone, Copy)]
    pub struct LeanCodec<T, U>(PhantomData<fn(T) -> U>);

    impl<T, U> Default for LeanCodec<T, U> {
        fn default() -> Self {
            Self(PhantomData)
        }
    }

    impl<T, U> Codec for LeanCodec<T, U>
    where
        T: prost::Message + Send + 'static,
        U: prost::Message + Default + Send + 'static,
    {
        type Encode = T;
        type Decode = U;
        type Encoder = ProstEncoder<T>;
        type Decoder = StrictDecoder<U>;

        fn encoder(&mut self) -> Self::Encoder {
            ProstEncoder::new(BufferSettings::new(BUFFER_SIZE, YIELD_THRESHOLD))
        }

        fn decoder(&mut self) -> Self::Decoder {
            StrictDecoder(PhantomData)
        }
    }

    /// Decodes prost messages; a request that is not a valid message of its type is the caller's
    /// mistake, INVALID_ARGUMENT (reason `UNDECODABLE_REQUEST`), where tonic answers INTERNAL.
    /// Anything else that does not decode (a response, an event) stays INTERNAL.
    #[derive(Debug)]
    pub struct StrictDecoder<U>(PhantomData<fn() -> U>);

    impl<U: prost::Message + Default> Decoder for StrictDecoder<U> {
        type Item = U;
        type Error = Status;

        fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
            U::decode(buf).map(Some).map_err(|error| {
                let type_name = std::any::type_name::<U>();
                let name = type_name.rsplit("::").next().unwrap_or(type_name);
                if name.ends_with("Request") {
                    let details = ErrorDetails::with_error_info(
                        "UNDECODABLE_REQUEST",
                        "baton.dev",
                        std::collections::HashMap::<String, String>::new(),
                    );
                    Status::with_error_details(
                        Code::InvalidArgument,
                        format!("the request is not a valid {name}: {error}"),
                        details,
                    )
                } else {
                    Status::internal(format!("undecodable {name}: {error}"))
                }
            })
        }

        fn buffer_settings(&self) -> BufferSettings {
            BufferSettings::new(BUFFER_SIZE, YIELD_THRESHOLD)
        }
    }
}

pub mod audit {
    pub mod v1 {
        tonic::include_proto!("baton.audit.v1");
    }
}

pub mod people {
    pub mod v1 {
        tonic::include_proto!("baton.people.v1");
    }
}

pub mod projects {
    pub mod v1 {
        tonic::include_proto!("baton.projects.v1");
    }
}

pub mod assets {
    pub mod v1 {
        tonic::include_proto!("baton.assets.v1");

        /// `ComponentSettings.review_reminder_hours` of a project whose settings never changed,
        /// as the contract documents it: the assets service reports it, the notifications
        /// service reminds by it.
        pub const DEFAULT_REVIEW_REMINDER_HOURS: i32 = 48;
    }
}

pub mod notifications {
    pub mod v1 {
        tonic::include_proto!("baton.notifications.v1");
    }
}

/// A protobuf message that travels as an event: its full proto name is its routing key.
pub trait Event: prost::Message + Default + Sized {
    /// The full proto name, for example `baton.assets.v1.AssetStatusChanged`.
    const TYPE: &'static str;
}

macro_rules! events {
    ($($ty:path => $name:literal),* $(,)?) => {
        $(impl Event for $ty { const TYPE: &'static str = $name; })*

        /// Every event type, as its routing key.
        pub const EVENT_TYPES: &[&str] = &[$($name),*];
    };
}

events! {
    people::v1::PersonCreated => "baton.people.v1.PersonCreated",
    people::v1::PersonStateChanged => "baton.people.v1.PersonStateChanged",
    people::v1::PersonUpdated => "baton.people.v1.PersonUpdated",
    people::v1::TeamCreated => "baton.people.v1.TeamCreated",
    people::v1::TeamUpdated => "baton.people.v1.TeamUpdated",
    people::v1::TimeOffChanged => "baton.people.v1.TimeOffChanged",
    people::v1::AllocationChanged => "baton.people.v1.AllocationChanged",
    projects::v1::ProjectCreated => "baton.projects.v1.ProjectCreated",
    projects::v1::ProjectMemberAdded => "baton.projects.v1.ProjectMemberAdded",
    projects::v1::ProjectMemberRemoved => "baton.projects.v1.ProjectMemberRemoved",
    projects::v1::ProjectStateChanged => "baton.projects.v1.ProjectStateChanged",
    projects::v1::BriefUpdated => "baton.projects.v1.BriefUpdated",
    projects::v1::ObstacleRaised => "baton.projects.v1.ObstacleRaised",
    projects::v1::MilestoneChanged => "baton.projects.v1.MilestoneChanged",
    projects::v1::ProjectHealthChanged => "baton.projects.v1.ProjectHealthChanged",
    projects::v1::ObstacleChanged => "baton.projects.v1.ObstacleChanged",
    projects::v1::ClientCreated => "baton.projects.v1.ClientCreated",
    projects::v1::ClientUpdated => "baton.projects.v1.ClientUpdated",
    assets::v1::AssetCreated => "baton.assets.v1.AssetCreated",
    assets::v1::AssetUpdated => "baton.assets.v1.AssetUpdated",
    assets::v1::VersionSubmitted => "baton.assets.v1.VersionSubmitted",
    assets::v1::ReviewDecided => "baton.assets.v1.ReviewDecided",
    assets::v1::ComponentSettingsUpdated => "baton.assets.v1.ComponentSettingsUpdated",
    assets::v1::RetakeCapReached => "baton.assets.v1.RetakeCapReached",
    assets::v1::CommentCreated => "baton.assets.v1.CommentCreated",
    assets::v1::CommentEdited => "baton.assets.v1.CommentEdited",
    assets::v1::QualityChecklistUpdated => "baton.assets.v1.QualityChecklistUpdated",
    assets::v1::QualityAssessed => "baton.assets.v1.QualityAssessed",
    assets::v1::MeasurementsRecorded => "baton.assets.v1.MeasurementsRecorded",
    assets::v1::AssetStatusChanged => "baton.assets.v1.AssetStatusChanged",
}
