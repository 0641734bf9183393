//! The `fuzz` and `--case-file` commands: arguments, the live run with its
//! progress and summary, and replaying a saved case file.

use super::*;

/// Reads a case file (either format version).
pub fn load_case_file(path: &Path) -> Result<CaseFile, HarnessError> {
    let bad = |why: String| HarnessError::Io {
        what: format!("case file {}", path.display()),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, why),
    };
    let text = std::fs::read_to_string(path).map_err(|source| HarnessError::Io {
        what: format!("reading case file {}", path.display()),
        source,
    })?;
    let file: CaseFile = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if file.format != CASE_FILE_FORMAT && file.format != CASE_FILE_FORMAT_2 {
        return Err(bad(format!(
            "format {:?}, expected {CASE_FILE_FORMAT:?} or {CASE_FILE_FORMAT_2:?}",
            file.format
        )));
    }
    file.negotiation().map_err(bad)?;
    Ok(file)
}

/// Plays a case file against `target`: its steps (compressed ones lowered with
/// the parameters the file records), offering its permessage-deflate, judged
/// against every outcome it allows.
pub async fn replay(
    file: &CaseFile,
    target: &Target,
    settings: &RunSettings,
) -> (Verdict, CaseRecord) {
    // load_case_file checked it; a file built in memory with a bad one replays plain.
    let neg = file.negotiation().ok().flatten();
    let sent = deflate::lower(&file.steps, neg.as_ref()).steps;
    let expect = file.outcomes();
    let case = case_for(&sent, &expect, neg.as_ref());
    let record = run_case(&case, target, settings).await;
    let verdict = judge_outcomes(&sent, &expect, neg.as_ref(), &record);
    (verdict, record)
}

/// Replays a case file against `url`: prints the verdict; exit code 1 when the server
/// disagrees with the expectation, 0 when it agrees.
pub async fn cmd_replay(path: &Path, url: &str, settings: RunSettings) -> anyhow::Result<i32> {
    let file = load_case_file(path)?;
    let target = Target::parse(url)?;
    let (v, _) = replay(&file, &target, &settings).await;
    crate::outln!(
        "{}: {} / close {}: {}",
        path.display(),
        v.behavior.as_str(),
        v.behavior_close.as_str(),
        v.reason
    );
    Ok(if is_mismatch_verdict(&v) { 1 } else { 0 })
}

/// Arguments of `fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// ws://host:port/path or wss://host:port/path of the echo server under test.
    pub url: String,
    /// Seed of the run: the same seed plays the same conversations.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Conversations to play at most.
    #[arg(long, default_value_t = 1000)]
    pub iterations: u64,
    /// Stop after this many seconds, even with iterations left.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Conversations at once.
    #[arg(long, short = 'j', default_value_t = 8, value_parser = crate::cli::parse_jobs)]
    pub jobs: usize,
    /// Where to write the reproducer [default: wsconform-fuzz-SEED-INDEX.json].
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Hard deadline of one conversation, in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub case_timeout: f64,
}

/// Runs `wsconform fuzz`: exit code 0 when no mismatch was found, 1 when one was
/// (and its reproducer written).
pub async fn cmd_fuzz(args: FuzzArgs) -> anyhow::Result<i32> {
    let target = Target::parse(&args.url)?;
    let settings = RunSettings {
        case_timeout: Duration::from_secs_f64(args.case_timeout.max(0.1)),
        ..RunSettings::default()
    };
    crate::runner::probe(&target, &settings)
        .await?
        .require_valid(&target)?;
    let opts = FuzzOptions {
        seed: args.seed,
        iterations: args.iterations,
        duration: args.duration.map(|s| Duration::from_secs_f64(s.max(0.0))),
        jobs: args.jobs.max(1),
        settings,
        ..FuzzOptions::default()
    };
    let bar = indicatif::ProgressBar::new(args.iterations);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} conversations, {per_sec}, {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("0 mismatches");
    let outcome = fuzz(&target, &opts, |done, bad| {
        bar.set_position(done);
        bar.set_message(format!("{bad} mismatches"));
    })
    .await;
    bar.finish_and_clear();
    let rate = outcome.conversations as f64 / outcome.elapsed.as_secs_f64().max(1e-9);
    crate::outln!(
        "{} conversations in {:.1} s ({rate:.0}/s), seed {}",
        outcome.conversations,
        outcome.elapsed.as_secs_f64(),
        args.seed
    );
    crate::outln!(
        "permessage-deflate negotiated in {} conversations, {} messages sent compressed",
        outcome.deflate_conversations,
        outcome.compressed_messages
    );
    let Some(m) = outcome.mismatch else {
        crate::outln!("no mismatch");
        return Ok(0);
    };
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "wsconform-fuzz-{}-{}.json",
            args.seed, m.conversation
        ))
    });
    let json = serde_json::to_string_pretty(&m.repro)?;
    std::fs::write(&out, json + "\n").map_err(|source| HarnessError::Io {
        what: format!("writing {}", out.display()),
        source,
    })?;
    crate::outln!(
        "mismatch: seed {} conversation {}: {}",
        args.seed,
        m.conversation,
        m.reason
    );
    // A generated step can be a whole message that the reproducer spells out as
    // several frames, so the two counts are of different things.
    crate::outln!(
        "shrunk in {} runs: {} generated steps became these {} wire steps:",
        m.shrink_runs,
        m.original.len(),
        m.repro.steps.len()
    );
    if let Some(d) = &m.repro.deflate {
        crate::outln!("  offer {:?}, accepted as {:?}", d.offer, d.response);
    }
    for step in &m.repro.steps {
        // Payloads reach 64 KiB: the file has them whole.
        let line = serde_json::to_string(step)?;
        match line.char_indices().nth(200) {
            Some((cut, _)) => crate::outln!("  {} ...", &line[..cut]),
            None => crate::outln!("  {line}"),
        }
    }
    crate::outln!("reproducer: {}", out.display());
    crate::outln!(
        "replay: wsconform run --case-file {} {}",
        out.display(),
        args.url
    );
    Ok(1)
}
