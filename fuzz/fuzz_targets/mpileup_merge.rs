//! The pileup tokenizer and the k-way merge: any bytes, cut into up to four partials at
//! NUL bytes, merge to output or an error, never a panic; merged depths add up.
#![no_main]

use std::io::BufRead;

use libfuzzer_sys::fuzz_target;
use mpileup_reduce::order::Order;
use mpileup_reduce::{merge, MergeOptions};

fuzz_target!(|data: &[u8]| {
    let inputs: Vec<(String, Box<dyn BufRead + Send>)> = data
        .split(|&b| b == 0)
        .take(4)
        .enumerate()
        .map(|(i, part)| {
            let reader: Box<dyn BufRead + Send> = Box::new(std::io::Cursor::new(part.to_vec()));
            (format!("part{i}.pileup"), reader)
        })
        .collect();
    let mut output = Vec::new();
    let _ = merge(inputs, &mut Order::appearance(), MergeOptions::default(), &mut output);
    for line in data.split(|&b| b == b'\n') {
        let _ = mpileup_reduce::line::count_tokens(line);
    }
});
