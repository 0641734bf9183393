//! Progress of a run on stderr: a bar on a terminal; in CI (stderr not a terminal) a line
//! every 10 s, so a long run is never silent.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ws_reports::FailOn;

/// How often the CI progress line is printed; `WSCONFORM_PROGRESS_SECONDS` changes it
/// (the tests use a fraction of a second).
fn interval() -> Duration {
    std::env::var("WSCONFORM_PROGRESS_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0 && s.is_finite())
        .map_or(Duration::from_secs(10), Duration::from_secs_f64)
}

#[derive(Default)]
struct State {
    planned: Vec<String>,
    finished: HashSet<String>,
    failing: usize,
}

/// What the run has done so far, fed by each finished case.
#[derive(Clone)]
pub(super) struct Progress {
    bar: ProgressBar,
    state: Arc<Mutex<State>>,
    fail_on: FailOn,
}

impl Progress {
    /// Starts showing progress over `planned` cases (keys in the order they start: case
    /// ids, prefixed with the agent when several servers are tested).
    pub(super) fn start(planned: Vec<String>, fail_on: FailOn, quiet: bool) -> Self {
        let bar = ProgressBar::new(planned.len() as u64);
        let terminal = std::io::stderr().is_terminal();
        if terminal && !quiet {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} cases  {elapsed}  {msg}")
            {
                bar.set_style(style);
            }
            // Drawn at once and redrawn while a long case holds the count still.
            bar.enable_steady_tick(Duration::from_millis(250));
        } else {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let progress = Progress {
            bar,
            state: Arc::new(Mutex::new(State {
                planned,
                ..State::default()
            })),
            fail_on,
        };
        if !terminal && !quiet {
            progress.spawn_lines();
        }
        progress
    }

    fn spawn_lines(&self) {
        let me = self.clone();
        let every = interval();
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            // The first line after a second at most, so a log shows the run is alive
            // from its start; then one every interval.
            let first = every.min(Duration::from_secs(1));
            let mut tick = tokio::time::interval_at(started + first, every);
            loop {
                tick.tick().await;
                if me.bar.is_finished() {
                    break;
                }
                eprintln!(
                    "wsconform: {} ({:.0} s)",
                    me.line(),
                    started.elapsed().as_secs_f64()
                );
            }
        });
    }

    /// "N/M cases done, F failing so far, waiting on ID".
    fn line(&self) -> String {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let waiting = state
            .planned
            .iter()
            .find(|id| !state.finished.contains(*id))
            .map(|id| format!(", waiting on {id}"))
            .unwrap_or_default();
        format!(
            "{}/{} cases done, {} failing so far (fail-on {}){waiting}",
            state.finished.len(),
            state.planned.len(),
            state.failing,
            self.fail_on
        )
    }

    /// Records one finished case; `key` is its entry in the planned list.
    pub(super) fn case_done(&self, key: String, result: &ws_reports::CaseResult) {
        let fails = self.fail_on.fails(result);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.finished.insert(key);
        state.failing += usize::from(fails);
        drop(state);
        self.bar.set_message(result.id.clone());
        self.bar.inc(1);
    }

    /// Stops the bar and the lines.
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
