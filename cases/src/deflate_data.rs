//! The payload data sets of sections 12 and 13, generated in code.
//!
//! Autobahn|Testsuite cuts its compression messages from five files (a JSON
//! report, a 512×512 grey bitmap, a book in plain text, an HTML report, a PDF).
//! We do not ship those files: each data set here is generated
//! deterministically, of the same kind and exactly the same size, so a
//! message of a given length compresses roughly as Autobahn's does and the
//! cases cut the same lengths at the same offsets. Text data sets are ASCII,
//! so cutting by bytes equals Autobahn's cutting by characters.

use std::sync::OnceLock;

use ws_spec::rng::SplitMix64;

/// One of the five data sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataSet {
    /// JSON-like text shaped as a test report (Autobahn's `data1.json`), 194,056 bytes, sent as text.
    Json,
    /// A BMP file: 8-bit grey 512×512 image with a palette and smooth pixel
    /// data (Autobahn's `lena512.bmp`), 263,222 bytes, sent as binary.
    Bitmap,
    /// Prose-like plain text (Autobahn's `pg2229.txt`), 222,218 bytes, sent as binary as Autobahn does.
    Prose,
    /// HTML-like text shaped as a report page (Autobahn's `data1.html`), 263,647 bytes, sent as text.
    Html,
    /// PDF-like binary: objects and mostly incompressible streams
    /// (Autobahn's PDF), 1,042,328 bytes, sent as binary.
    Pdf,
}

impl DataSet {
    /// The order of Autobahn's subsections 12.1–12.5.
    pub const ALL: [DataSet; 5] = [
        DataSet::Json,
        DataSet::Bitmap,
        DataSet::Prose,
        DataSet::Html,
        DataSet::Pdf,
    ];

    /// Size in bytes, that of Autobahn's file.
    pub fn len(self) -> usize {
        match self {
            DataSet::Json => 194_056,
            DataSet::Bitmap => 263_222,
            DataSet::Prose => 222_218,
            DataSet::Html => 263_647,
            DataSet::Pdf => 1_042_328,
        }
    }

    /// Never empty; present for the `len` convention.
    pub fn is_empty(self) -> bool {
        false
    }

    /// Sent in binary messages (true) or text messages.
    pub fn binary(self) -> bool {
        !matches!(self, DataSet::Json | DataSet::Html)
    }

    /// Autobahn's description of its file, used in the subsection titles.
    pub fn autobahn_title(self) -> &'static str {
        match self {
            DataSet::Json => "Large JSON data file",
            DataSet::Bitmap => "Lena Picture, Bitmap 512x512 bw",
            DataSet::Prose => "Human readable text, Goethe's Faust I (German)",
            DataSet::Html => "Large HTML file",
            DataSet::Pdf => "A larger PDF",
        }
    }

    /// What our generated stand-in is, for case descriptions.
    pub fn what(self) -> &'static str {
        match self {
            DataSet::Json => "generated JSON-like text",
            DataSet::Bitmap => {
                "a generated BMP-like image (image header, grey palette, smooth pixels)"
            }
            DataSet::Prose => "generated prose-like plain text",
            DataSet::Html => "generated HTML-like text",
            DataSet::Pdf => "generated PDF-like binary (objects and incompressible streams)",
        }
    }

    /// The bytes, generated once per process.
    pub fn bytes(self) -> &'static [u8] {
        static CACHE: [OnceLock<Vec<u8>>; 5] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let (slot, make): (usize, fn() -> Vec<u8>) = match self {
            DataSet::Json => (0, json),
            DataSet::Bitmap => (1, bitmap),
            DataSet::Prose => (2, prose),
            DataSet::Html => (3, html),
            DataSet::Pdf => (4, pdf),
        };
        CACHE[slot].get_or_init(|| {
            let mut v = make();
            v.truncate(self.len());
            assert_eq!(v.len(), self.len(), "generator of {self:?} too short");
            v
        })
    }

    /// The `index`-th message of `len` bytes, cut from the data set where the
    /// previous one ended and wrapping around at its end, as Autobahn cuts them.
    pub fn message(self, index: usize, len: usize) -> Vec<u8> {
        let data = self.bytes();
        let n = data.len();
        let from = (index * len) % n;
        let to = (from + len) % n;
        if len == 0 {
            Vec::new()
        } else if to > from {
            data[from..to].to_vec()
        } else {
            let mut m = data[from..].to_vec();
            m.extend_from_slice(&data[..to]);
            m
        }
    }
}

/// SplitMix64: a small deterministic generator.
/// The catalogue's data draws on ws-spec's one seeded generator.
struct Rng(SplitMix64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(SplitMix64::new(seed))
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: usize) -> usize {
        self.0.below(n)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const BEHAVIORS: [&str; 5] = ["OK", "OK", "OK", "NON-STRICT", "INFORMATIONAL"];

fn json() -> Vec<u8> {
    let mut rng = Rng::new(12);
    let mut s = String::from("{\n");
    let mut agent = 0;
    while s.len() < DataSet::Json.len() {
        s.push_str(&format!(
            "   \"Agent{agent}/0.{}.{}\": {{\n",
            agent % 7,
            agent % 3
        ));
        for major in 1..=10 {
            for minor in 1..=(3 + rng.below(5)) {
                let id = format!("{major}.{minor}.{}", rng.below(20) + 1);
                s.push_str(&format!(
                    "      \"{id}\": {{\n         \"behavior\": \"{}\",\n         \"behaviorClose\": \"{}\",\n         \"duration\": {},\n         \"remoteCloseCode\": {},\n         \"reportfile\": \"agent{agent}_case_{}.json\"\n      }},\n",
                    rng.pick(&BEHAVIORS),
                    rng.pick(&BEHAVIORS),
                    rng.below(2000),
                    1000 + rng.below(12),
                    id.replace('.', "_"),
                ));
            }
        }
        s.push_str("   },\n");
        agent += 1;
    }
    s.into_bytes()
}

fn bitmap() -> Vec<u8> {
    const SIDE: u32 = 512;
    const PALETTE: u32 = 256 * 4;
    const OFFSET: u32 = 14 + 40 + PALETTE;
    let size = OFFSET + SIDE * SIDE;
    let mut v = Vec::with_capacity(size as usize);
    // BITMAPFILEHEADER, then BITMAPINFOHEADER: 8 bits per pixel, uncompressed.
    v.extend_from_slice(b"BM");
    v.extend_from_slice(&size.to_le_bytes());
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(&OFFSET.to_le_bytes());
    v.extend_from_slice(&40u32.to_le_bytes());
    v.extend_from_slice(&SIDE.to_le_bytes());
    v.extend_from_slice(&SIDE.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&8u16.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&(SIDE * SIDE).to_le_bytes());
    v.extend_from_slice(&2835u32.to_le_bytes());
    v.extend_from_slice(&2835u32.to_le_bytes());
    v.extend_from_slice(&256u32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    for g in 0..=255u8 {
        v.extend_from_slice(&[g, g, g, 0]);
    }
    // Smooth shapes plus a little noise: compresses like a photograph, not like a blank page.
    let mut rng = Rng::new(512);
    for y in 0..SIDE {
        for x in 0..SIDE {
            let (fx, fy) = (f64::from(x), f64::from(y));
            let dx = fx - 256.0;
            let dy = fy - 230.0;
            let r = (dx * dx + dy * dy).sqrt();
            let base =
                120.0 + 60.0 * (fx / 41.0).sin() * (fy / 57.0).cos() + 40.0 * (r / 33.0).cos();
            let noise = rng.below(9) as f64 - 4.0;
            v.push((base + noise).clamp(0.0, 255.0) as u8);
        }
    }
    v
}

const WORDS: [&str; 48] = [
    "the",
    "and",
    "of",
    "to",
    "a",
    "in",
    "that",
    "is",
    "was",
    "he",
    "for",
    "it",
    "with",
    "as",
    "his",
    "on",
    "be",
    "at",
    "by",
    "had",
    "not",
    "are",
    "but",
    "from",
    "or",
    "have",
    "an",
    "they",
    "which",
    "one",
    "you",
    "were",
    "night",
    "study",
    "spirit",
    "world",
    "knowledge",
    "heaven",
    "earth",
    "light",
    "heart",
    "dream",
    "wander",
    "silent",
    "ancient",
    "burning",
    "voice",
    "doctor",
];

fn prose() -> Vec<u8> {
    let mut rng = Rng::new(2229);
    let mut s = String::new();
    let mut line = 0;
    while s.len() < DataSet::Prose.len() {
        let words = 4 + rng.below(14);
        for i in 0..words {
            let w = rng.pick(&WORDS);
            let w = if i == 0 {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            } else {
                w.to_string()
            };
            if line + w.len() + 1 > 70 {
                s.push_str("\r\n");
                line = 0;
            } else if i > 0 {
                s.push(' ');
                line += 1;
            }
            s.push_str(&w);
            line += w.len();
        }
        s.push_str(rng.pick(&[".", ".", "!", "?", ";"]));
        if rng.below(6) == 0 {
            s.push_str("\r\n\r\n");
            line = 0;
        } else {
            s.push(' ');
            line += 1;
        }
    }
    s.into_bytes()
}

fn html() -> Vec<u8> {
    let mut rng = Rng::new(1);
    let mut s = String::from(
        "<!DOCTYPE html>\n<html>\n   <head>\n      <meta charset=\"utf-8\" />\n      <style lang=\"css\">\nbody { background-color: #F4F4F4; color: #333; font-family: sans-serif; }\ntable { border-collapse: collapse; }\ntd.ok { background-color: #0a0; }\ntd.failed { background-color: #900; }\n      </style>\n   </head>\n   <body>\n      <table id=\"agent_case_results\">\n",
    );
    let mut row = 0;
    while s.len() < DataSet::Html.len() {
        let b = rng.pick(&BEHAVIORS);
        s.push_str(&format!(
            "         <tr>\n            <td class=\"case_id\"><a href=\"#case_desc_{row}\">Case {}.{}.{}</a></td>\n            <td class=\"case_{}\"><a href=\"agent_case_{row}.html\">{b}</a><br/><span class=\"case_duration\">{} ms</span></td>\n            <td class=\"close_code\">{}</td>\n         </tr>\n",
            1 + rng.below(13),
            1 + rng.below(9),
            1 + rng.below(20),
            b.to_ascii_lowercase(),
            rng.below(3000),
            1000 + rng.below(12),
        ));
        row += 1;
    }
    s.into_bytes()
}

fn pdf() -> Vec<u8> {
    let mut rng = Rng::new(7692);
    let mut v = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut obj = 1;
    while v.len() < DataSet::Pdf.len() {
        if rng.below(4) == 0 {
            v.extend_from_slice(
                format!(
                    "{obj} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R /Resources << /Font << /F1 {} 0 R >> >> >>\nendobj\n",
                    obj + 1,
                    3 + rng.below(9)
                )
                .as_bytes(),
            );
        } else {
            // Streams of a real PDF are deflated already: random bytes are their fair stand-in.
            let len = 512 + rng.below(8192);
            v.extend_from_slice(
                format!("{obj} 0 obj\n<< /Length {len} /Filter /FlateDecode >>\nstream\n")
                    .as_bytes(),
            );
            for _ in 0..len.div_ceil(8) {
                v.extend_from_slice(&rng.next_u64().to_le_bytes());
            }
            v.extend_from_slice(b"\nendstream\nendobj\n");
        }
        obj += 1;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_sets_have_autobahns_sizes_and_kinds() {
        for d in DataSet::ALL {
            assert_eq!(d.bytes().len(), d.len(), "{d:?}");
            if !d.binary() {
                assert!(d.bytes().is_ascii(), "{d:?} text is ASCII");
            }
        }
        assert_eq!(&DataSet::Bitmap.bytes()[..2], b"BM");
        assert_eq!(&DataSet::Pdf.bytes()[..5], b"%PDF-");
    }

    #[test]
    fn messages_are_cut_in_sequence_and_wrap() {
        let d = DataSet::Json;
        let n = d.len();
        assert_eq!(d.message(0, 16), d.bytes()[..16].to_vec());
        assert_eq!(d.message(1, 16), d.bytes()[16..32].to_vec());
        let len = 131_072;
        let m = d.message(1, len);
        assert_eq!(m.len(), len);
        assert_eq!(&m[..n - len], &d.bytes()[len..]);
        assert_eq!(&m[n - len..], &d.bytes()[..2 * len - n]);
    }
}
