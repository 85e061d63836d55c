//! Baton's protobuf contracts: messages, gRPC clients and servers, and the encoded descriptor set
//! for reflection. Generated at build time from `proto/` by protox and tonic-prost-build.

#![allow(clippy::all, missing_docs)]

/// The encoded `FileDescriptorSet` of every Baton proto file, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/baton_descriptor.bin"));

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
