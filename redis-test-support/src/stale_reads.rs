//! The client-side caching guarantee, as a script both bodies' tests run: writes by
//! other connections and by the caching one, reads after a round trip, interleaved
//! at random (seeded), with the stale reads counted. The test carries each step out
//! on its body, in order, before asking for the next.

use redis_sansio::resp::Frame;

/// What to do next.
#[derive(Debug)]
pub enum Step {
    /// `SET key value` on writer connection `writer` (not the caching one).
    Write {
        /// Which of the test's writers.
        writer: usize,
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// `SET key value` through the caching connection itself.
    OwnWrite {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// `GET key` on the caching connection, its reply handed to
    /// [`StaleReads::check`]; first a `PING` round trip when `round_trip_first`.
    Read {
        /// The key.
        key: String,
        /// A write by another connection was acknowledged since the last round trip.
        round_trip_first: bool,
    },
}

/// The script and its tally.
#[derive(Debug)]
pub struct StaleReads {
    rng: u64,
    writers: u64,
    step: u64,
    seed: u64,
    latest: Vec<Option<String>>,
    written_since_round_trip: bool,
    reading: Option<usize>,
    /// Reads checked.
    pub reads: u64,
    /// Reads that did not see the latest acknowledged write.
    pub stale: u64,
}

impl StaleReads {
    /// A script over `keys` keys (`key:0`...) and `writers` writer connections.
    pub fn new(seed: u64, keys: usize, writers: usize) -> Self {
        StaleReads {
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            writers: writers as u64,
            step: 0,
            seed,
            latest: vec![None; keys],
            written_since_round_trip: false,
            reading: None,
            reads: 0,
            stale: 0,
        }
    }

    /// A number below `n` (xorshift64*).
    fn below(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    /// The next step. A write counts as acknowledged once the test asks for the
    /// step after it.
    pub fn next_step(&mut self) -> Step {
        self.step += 1;
        let index = self.below(self.latest.len() as u64) as usize;
        let key = format!("key:{index}");
        match self.below(10) {
            0..=2 => {
                let value = format!("{}-{}", self.seed, self.step);
                self.latest[index] = Some(value.clone());
                self.written_since_round_trip = true;
                let writer = self.below(self.writers) as usize;
                Step::Write { writer, key, value }
            }
            3 => {
                let value = format!("own-{}-{}", self.seed, self.step);
                self.latest[index] = Some(value.clone());
                Step::OwnWrite { key, value }
            }
            _ => {
                self.reading = Some(index);
                let round_trip_first = std::mem::take(&mut self.written_since_round_trip);
                Step::Read {
                    key,
                    round_trip_first,
                }
            }
        }
    }

    /// The reply to the last [`Step::Read`]: counted stale unless it is the latest
    /// acknowledged value.
    pub fn check(&mut self, reply: &Frame) {
        let Some(index) = self.reading.take() else {
            panic!("check called without a read step");
        };
        let read = reply
            .as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        self.reads += 1;
        if read != self.latest[index] {
            self.stale += 1;
        }
    }
}
