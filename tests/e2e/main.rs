mod digest;
mod oci;
