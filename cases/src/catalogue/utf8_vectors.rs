//! Markus Kuhn's UTF-8 decoder stress test (UTF-8-test.txt), as Autobahn cases 6.5–6.23 use it.
//!
//! Each row is one subsection: its number under 6, its Autobahn title, and the payloads in case
//! order with whether they are valid UTF-8. Autobahn sends every payload as one unfragmented
//! text message; `s06_utf8` turns the rows into cases. The valid flags are checked against
//! `std::str::from_utf8` in the tests, so a wrong flag cannot slip in.

/// One payload and whether it is valid UTF-8.
pub(super) type Vector = (&'static [u8], bool);

/// One subsection: number under section 6, title, payloads in case order.
pub(super) type Subsection = (u32, &'static str, &'static [Vector]);

/// Subsections 6.5 to 6.23.
pub(super) const KUHN: &[Subsection] = &[
    // UTF-8-test.txt §1, plus $, ¢, € and U+24B62 between ASCII.
    (
        5,
        "Some valid UTF-8 sequences",
        &[
            (b"hello$world", true),
            (b"hello\xc2\xa2world", true),
            (b"hello\xe2\x82\xacworld", true),
            (b"hello\xf0\xa4\xad\xa2world", true),
            (b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", true),
        ],
    ),
    // Every prefix of κόσμε (the last entry of 6.5): valid only where it ends on a code point.
    (
        6,
        "All prefixes of a valid UTF-8 string that contains multi-byte code points",
        &[
            (b"\xce", false),
            (b"\xce\xba", true),
            (b"\xce\xba\xe1", false),
            (b"\xce\xba\xe1\xbd", false),
            (b"\xce\xba\xe1\xbd\xb9", true),
            (b"\xce\xba\xe1\xbd\xb9\xcf", false),
            (b"\xce\xba\xe1\xbd\xb9\xcf\x83", true),
            (b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce", false),
            (b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc", true),
            (b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce", false),
            (b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", true),
        ],
    ),
    // UTF-8-test.txt §2.1.
    (
        7,
        "First possible sequence of a certain length",
        &[
            (b"\x00", true),
            (b"\xc2\x80", true),
            (b"\xe0\xa0\x80", true),
            (b"\xf0\x90\x80\x80", true),
        ],
    ),
    // UTF-8-test.txt §2.1.
    (
        8,
        "First possible sequence length 5/6 (invalid codepoints)",
        &[
            (b"\xf8\x88\x80\x80\x80", false),
            (b"\xfc\x84\x80\x80\x80\x80", false),
        ],
    ),
    // UTF-8-test.txt §2.2.
    (
        9,
        "Last possible sequence of a certain length",
        &[
            (b"\x7f", true),
            (b"\xdf\xbf", true),
            (b"\xef\xbf\xbf", true),
            (b"\xf4\x8f\xbf\xbf", true),
        ],
    ),
    // UTF-8-test.txt §2.2.
    (
        10,
        "Last possible sequence length 4/5/6 (invalid codepoints)",
        &[
            (b"\xf7\xbf\xbf\xbf", false),
            (b"\xfb\xbf\xbf\xbf\xbf", false),
            (b"\xfd\xbf\xbf\xbf\xbf\xbf", false),
        ],
    ),
    // UTF-8-test.txt §2.3.
    (
        11,
        "Other boundary conditions",
        &[
            (b"\xed\x9f\xbf", true),
            (b"\xee\x80\x80", true),
            (b"\xef\xbf\xbd", true),
            (b"\xf4\x8f\xbf\xbf", true),
            (b"\xf4\x90\x80\x80", false),
        ],
    ),
    // UTF-8-test.txt §3.1.
    (
        12,
        "Unexpected continuation bytes",
        &[
            (b"\x80", false),
            (b"\xbf", false),
            (b"\x80\xbf", false),
            (b"\x80\xbf\x80", false),
            (b"\x80\xbf\x80\xbf", false),
            (b"\x80\xbf\x80\xbf\x80", false),
            (b"\x80\xbf\x80\xbf\x80\xbf", false),
            (b"\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe", false),
        ],
    ),
    // UTF-8-test.txt §3.2.
    (
        13,
        "Lonely start characters",
        &[
            (b"\xc0 \xc1 \xc2 \xc3 \xc4 \xc5 \xc6 \xc7 \xc8 \xc9 \xca \xcb \xcc \xcd \xce \xcf \xd0 \xd1 \xd2 \xd3 \xd4 \xd5 \xd6 \xd7 \xd8 \xd9 \xda \xdb \xdc \xdd \xde ", false),
            (b"\xe0 \xe1 \xe2 \xe3 \xe4 \xe5 \xe6 \xe7 \xe8 \xe9 \xea \xeb \xec \xed \xee ", false),
            (b"\xf0 \xf1 \xf2 \xf3 \xf4 \xf5 \xf6 ", false),
            (b"\xf8 \xf9 \xfa ", false),
            (b"\xfc ", false),
        ],
    ),
    // UTF-8-test.txt §3.3.
    (
        14,
        "Sequences with last continuation byte missing",
        &[
            (b"\xc0", false),
            (b"\xe0\x80", false),
            (b"\xf0\x80\x80", false),
            (b"\xf8\x80\x80\x80", false),
            (b"\xfc\x80\x80\x80\x80", false),
            (b"\xdf", false),
            (b"\xef\xbf", false),
            (b"\xf7\xbf\xbf", false),
            (b"\xfb\xbf\xbf\xbf", false),
            (b"\xfd\xbf\xbf\xbf\xbf", false),
        ],
    ),
    // UTF-8-test.txt §3.4.
    (
        15,
        "Concatenation of incomplete sequences",
        &[
            (b"\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80\xdf\xef\xbf\xf7\xbf\xbf\xfb\xbf\xbf\xbf\xfd\xbf\xbf\xbf\xbf", false),
        ],
    ),
    // UTF-8-test.txt §3.5.
    (
        16,
        "Impossible bytes",
        &[
            (b"\xfe", false),
            (b"\xff", false),
            (b"\xfe\xfe\xff\xff", false),
        ],
    ),
    // UTF-8-test.txt §4.1.
    (
        17,
        "Examples of an overlong ASCII character",
        &[
            (b"\xc0\xaf", false),
            (b"\xe0\x80\xaf", false),
            (b"\xf0\x80\x80\xaf", false),
            (b"\xf8\x80\x80\x80\xaf", false),
            (b"\xfc\x80\x80\x80\x80\xaf", false),
        ],
    ),
    // UTF-8-test.txt §4.2.
    (
        18,
        "Maximum overlong sequences",
        &[
            (b"\xc1\xbf", false),
            (b"\xe0\x9f\xbf", false),
            (b"\xf0\x8f\xbf\xbf", false),
            (b"\xf8\x87\xbf\xbf\xbf", false),
            (b"\xfc\x83\xbf\xbf\xbf\xbf", false),
        ],
    ),
    // UTF-8-test.txt §4.3.
    (
        19,
        "Overlong representation of the NUL character",
        &[
            (b"\xc0\x80", false),
            (b"\xe0\x80\x80", false),
            (b"\xf0\x80\x80\x80", false),
            (b"\xf8\x80\x80\x80\x80", false),
            (b"\xfc\x80\x80\x80\x80\x80", false),
        ],
    ),
    // UTF-8-test.txt §5.1.
    (
        20,
        "Single UTF-16 surrogates",
        &[
            (b"\xed\xa0\x80", false),
            (b"\xed\xad\xbf", false),
            (b"\xed\xae\x80", false),
            (b"\xed\xaf\xbf", false),
            (b"\xed\xb0\x80", false),
            (b"\xed\xbe\x80", false),
            (b"\xed\xbf\xbf", false),
        ],
    ),
    // UTF-8-test.txt §5.2.
    (
        21,
        "Paired UTF-16 surrogates",
        &[
            (b"\xed\xa0\x80\xed\xb0\x80", false),
            (b"\xed\xa0\x80\xed\xbf\xbf", false),
            (b"\xed\xad\xbf\xed\xb0\x80", false),
            (b"\xed\xad\xbf\xed\xbf\xbf", false),
            (b"\xed\xae\x80\xed\xb0\x80", false),
            (b"\xed\xae\x80\xed\xbf\xbf", false),
            (b"\xed\xaf\xbf\xed\xb0\x80", false),
            (b"\xed\xaf\xbf\xed\xbf\xbf", false),
        ],
    ),
    // UTF-8-test.txt §5.3.
    (
        22,
        "Non-character code points (valid UTF-8)",
        &[
            (b"\xef\xbf\xbe", true),
            (b"\xef\xbf\xbf", true),
            (b"\xf0\x9f\xbf\xbe", true),
            (b"\xf0\x9f\xbf\xbf", true),
            (b"\xf0\xaf\xbf\xbe", true),
            (b"\xf0\xaf\xbf\xbf", true),
            (b"\xf0\xbf\xbf\xbe", true),
            (b"\xf0\xbf\xbf\xbf", true),
            (b"\xf1\x8f\xbf\xbe", true),
            (b"\xf1\x8f\xbf\xbf", true),
            (b"\xf1\x9f\xbf\xbe", true),
            (b"\xf1\x9f\xbf\xbf", true),
            (b"\xf1\xaf\xbf\xbe", true),
            (b"\xf1\xaf\xbf\xbf", true),
            (b"\xf1\xbf\xbf\xbe", true),
            (b"\xf1\xbf\xbf\xbf", true),
            (b"\xf2\x8f\xbf\xbe", true),
            (b"\xf2\x8f\xbf\xbf", true),
            (b"\xf2\x9f\xbf\xbe", true),
            (b"\xf2\x9f\xbf\xbf", true),
            (b"\xf2\xaf\xbf\xbe", true),
            (b"\xf2\xaf\xbf\xbf", true),
            (b"\xf2\xbf\xbf\xbe", true),
            (b"\xf2\xbf\xbf\xbf", true),
            (b"\xf3\x8f\xbf\xbe", true),
            (b"\xf3\x8f\xbf\xbf", true),
            (b"\xf3\x9f\xbf\xbe", true),
            (b"\xf3\x9f\xbf\xbf", true),
            (b"\xf3\xaf\xbf\xbe", true),
            (b"\xf3\xaf\xbf\xbf", true),
            (b"\xf3\xbf\xbf\xbe", true),
            (b"\xf3\xbf\xbf\xbf", true),
            (b"\xf4\x8f\xbf\xbe", true),
            (b"\xf4\x8f\xbf\xbf", true),
        ],
    ),
    // The Specials block, U+FFF9..U+FFFF.
    (
        23,
        "Unicode specials (i.e. replacement char)",
        &[
            (b"\xef\xbf\xb9", true),
            (b"\xef\xbf\xba", true),
            (b"\xef\xbf\xbb", true),
            (b"\xef\xbf\xbc", true),
            (b"\xef\xbf\xbd", true),
            (b"\xef\xbf\xbe", true),
            (b"\xef\xbf\xbf", true),
        ],
    ),
];
