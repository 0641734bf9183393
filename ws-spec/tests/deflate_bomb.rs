//! A decompression bomb must fail at the endpoint's limit (RFC 6455 §10.4
//! lets an endpoint bound the messages it accepts; compression multiplies
//! what a peer can make it hold) without taking the memory it asks for.
//! Alone in its test binary so that the process's peak memory is its own.

/// Grouped so that `cargo test -p ws-spec deflate` selects every test here.
mod deflate {

    use ws_spec::deflate::{Compressor, Decompressor, DeflateError};

    const MIB: usize = 1 << 20;

    /// ~100 MiB of zeros as one message's compressed payload, built without
    /// compressing 100 MiB: the second 1 MiB of zeros, compressed with the first
    /// as context, is pure back-references, so repeating its sync-flushed
    /// blocks extends the same stream.
    fn bomb() -> Vec<u8> {
        let zeros = vec![0u8; MIB];
        let mut c = Compressor::new(15, false);
        let mut first = c.compress(&zeros);
        let mut more = c.compress(&zeros);
        first.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
        more.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
        let mut payload = first;
        for _ in 0..99 {
            payload.extend_from_slice(&more);
        }
        payload.truncate(payload.len() - 4);
        payload
    }

    /// Counts the bomb's decompressed size with a small buffer (the control).
    fn inflated_size(payload: &[u8]) -> u64 {
        let mut d = flate2::Decompress::new(false);
        let mut input = [payload, &[0x00, 0x00, 0xff, 0xff]].concat();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let (in_before, out_before) = (d.total_in(), d.total_out());
            d.decompress(&input, &mut buf, flate2::FlushDecompress::Sync)
                .unwrap();
            input.drain(..(d.total_in() - in_before) as usize);
            let produced = d.total_out() - out_before;
            if input.is_empty() && produced < buf.len() as u64 {
                return d.total_out();
            }
        }
    }

    /// Peak resident memory of this process in KiB (Linux).
    fn peak_rss_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    #[test]
    fn rfc6455_10_4_bomb_fails_at_the_limit_without_allocating_it() {
        let payload = bomb();
        assert!(payload.len() < MIB / 4, "compressed {}", payload.len());
        let before = peak_rss_kib();
        let mut d = Decompressor::new(15, false, MIB);
        let result = payload
            .chunks(4096)
            .try_for_each(|frame| d.push(frame))
            .and_then(|()| d.finish_message().map(drop));
        assert_eq!(result, Err(DeflateError::TooLarge { limit: MIB }));
        if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
            assert!(
                after.saturating_sub(before) < 16 * 1024,
                "peak memory grew by {} KiB",
                after - before
            );
        }
        // The control: the same payload really is a 100 MiB message.
        assert_eq!(inflated_size(&payload), 100 * MIB as u64);
    }
}
