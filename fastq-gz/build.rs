//! With the `isal` feature: compiles the ISA-L shim and links the system's libisal.

fn main() {
    #[cfg(feature = "isal")]
    {
        println!("cargo:rerun-if-changed=src/gzip/inflate/isal.c");
        cc::Build::new()
            .file("src/gzip/inflate/isal.c")
            .warnings(true)
            .compile("chunkwise_isal");
        println!("cargo:rustc-link-lib=isal");
    }
}
