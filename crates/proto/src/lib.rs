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

    use tonic::codec::{BufferSettings, Codec};
    use tonic_prost::{ProstDecoder, ProstEncoder};

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
        type Decoder = ProstDecoder<U>;

        fn encoder(&mut self) -> Self::Encoder {
            ProstEncoder::new(BufferSettings::new(BUFFER_SIZE, YIELD_THRESHOLD))
        }

        fn decoder(&mut self) -> Self::Decoder {
            ProstDecoder::new(BufferSettings::new(BUFFER_SIZE, YIELD_THRESHOLD))
        }
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
    };
}

events! {
    people::v1::PersonCreated => "baton.people.v1.PersonCreated",
    projects::v1::ProjectCreated => "baton.projects.v1.ProjectCreated",
    projects::v1::ProjectMemberAdded => "baton.projects.v1.ProjectMemberAdded",
    projects::v1::ProjectMemberRemoved => "baton.projects.v1.ProjectMemberRemoved",
    assets::v1::AssetCreated => "baton.assets.v1.AssetCreated",
    assets::v1::AssetStatusChanged => "baton.assets.v1.AssetStatusChanged",
}
