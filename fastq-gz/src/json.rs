//! Byte strings in the JSON that workers of a build across workers pass on
//! ([`crate::index::parts`]): base64, a third larger than the bytes, where serde's default
//! (an array of numbers) is three to four times larger.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&STANDARD.encode(bytes))
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = <&str>::deserialize(deserializer)?;
    STANDARD.decode(text).map_err(serde::de::Error::custom)
}
