//! Masking throughput on a 16 MiB payload (the largest Autobahn 9.x message),
//! against a plain copy as the memory-bandwidth ceiling; plus the UTF-8
//! validator on ASCII text, since text messages go through it byte by byte.
//!
//! No benchmark framework: each routine runs a fixed amount of work, the best
//! of several rounds is reported, which is stable enough to spot regressions.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ws_spec::mask::{apply_mask, apply_mask_bytewise};

const SIZE: usize = 16 * 1024 * 1024;
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Best time of `rounds` rounds of `reps` calls of `f`, per call.
fn best_per_call(rounds: u32, reps: u32, mut f: impl FnMut()) -> Duration {
    f(); // warm up: fault in the pages, fill caches
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..reps {
                f();
            }
            start.elapsed() / reps
        })
        .min()
        .expect("at least one round")
}

fn report(name: &str, per_call: Duration) {
    let gib_per_s = SIZE as f64 / per_call.as_secs_f64() / (1u64 << 30) as f64;
    println!(
        "{name} 16 MiB: {gib_per_s:.2} GiB/s ({:.3} ms)",
        per_call.as_secs_f64() * 1e3
    );
}

fn main() {
    let source: Vec<u8> = (0..SIZE).map(|i| (i * 7 + 3) as u8).collect();
    let mut buf = source.clone();

    let word = best_per_call(5, 10, || apply_mask(black_box(&mut buf), KEY, black_box(1)));
    report("mask (word-at-a-time)", word);

    let bytewise = best_per_call(3, 2, || {
        apply_mask_bytewise(black_box(&mut buf), KEY, black_box(1))
    });
    report("mask (bytewise)", bytewise);

    let copy = best_per_call(5, 10, || buf.copy_from_slice(black_box(&source)));
    report("plain copy", copy);

    // The validator's ASCII fast path, next to std's validator for scale.
    let ascii = vec![b'a'; SIZE];
    let ours = best_per_call(5, 5, || {
        black_box(ws_spec::utf8::validate(black_box(&ascii))).expect("ASCII is UTF-8");
    });
    report("utf8 validate ASCII (ws-spec)", ours);
    let std = best_per_call(5, 5, || {
        black_box(std::str::from_utf8(black_box(&ascii))).expect("ASCII is UTF-8");
    });
    report("utf8 validate ASCII (std)", std);

    black_box(&buf);
}
