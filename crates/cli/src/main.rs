//! `bulwark`: the command-line front end. Thin: each command parses its
//! arguments, calls one domain function and prints the result (text, or
//! JSON with `--json`).
//!
//! Exit codes: 0 success; 1 failure (including a broken audit chain or a
//! failed file in a batch); 2 bad usage or bad input.

mod commands;
mod demo;
mod exit;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Bulwark: the EU security toolset (resilience, detection, online harms,
/// cooperation, capability) in one binary.
#[derive(Parser)]
#[command(name = "bulwark", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server: JSON API, OpenAPI document and web console.
    Serve(commands::serve::ServeArgs),
    /// Issue, list and revoke API tokens.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Verify, export and anchor the tamper-evident audit log.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// PDQ perceptual hashes of image files and directories (recursive).
    Hash(commands::hash::HashArgs),
    /// Resilience pillar (CER, NIS2): registry, identification, incidents.
    #[command(subcommand)]
    Resilience(commands::resilience::ResilienceCommand),
    /// Detection pillar (CSA proposal, 2021/1232, TCO): scan under a legal
    /// basis, signed indicator lists, review, retention, transparency, accuracy.
    #[command(subcommand)]
    Detect(commands::detect::DetectCommand),
    /// Exact Hamming index files of 256-bit hashes: build, add, remove, stats.
    #[command(subcommand)]
    Index(commands::index::IndexCommand),
    /// Match hashes against an index file: every entry within the radius, exactly.
    Match(commands::index::MatchArgs),
    /// Key files of the key that seals secrets at rest (`serve --key-file`):
    /// make one, or check one and show its key id.
    #[command(subcommand)]
    KeyFile(commands::keyfile::KeyFileCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Regulation (EU) 2021/1232 and its successors apply only within their
    // windows; a mistyped override of them stops the commands that scan.
    if matches!(cli.command, Command::Serve(_) | Command::Detect(_))
        && let Err(e) = bulwark_detection::basis::check_instrument_windows()
    {
        return exit::finish(Err(exit::UsageError(e.to_string()).into()));
    }
    let result = match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Token(cmd) => commands::token::run(cmd),
        Command::Audit(cmd) => commands::audit::run(cmd),
        Command::Hash(args) => commands::hash::run(args),
        Command::Resilience(cmd) => commands::resilience::run(cmd),
        Command::Detect(cmd) => commands::detect::run(cmd),
        Command::Index(cmd) => commands::index::run(cmd),
        Command::Match(args) => commands::index::run_match(args),
        Command::KeyFile(cmd) => commands::keyfile::run(cmd),
    };
    exit::finish(result)
}
