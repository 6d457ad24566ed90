//! Rebuilds the server when a migration changes, because `sqlx::migrate!`
//! embeds the migrations at compile time.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
