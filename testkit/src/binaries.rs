//! Where the binaries under test are. Only cargo knows: it tells the test
//! or bench through `CARGO_BIN_EXE_<name>`, at compile time (the
//! [`binaries!`](crate::binaries) macro, handed in with [`use_binaries`]) and,
//! when it runs them, in the environment. This crate never builds the client
//! itself, so a change to the client does not rebuild it.

use std::sync::OnceLock;

/// The executables cargo built for the test or bench that runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binaries {
    /// `komunikator`.
    pub client: &'static str,
    /// `komunikator-broker`, when built (the `serve` feature).
    pub broker: Option<&'static str>,
}

/// [`Binaries`] as cargo built them for the calling test or bench.
#[macro_export]
macro_rules! binaries {
    () => {
        $crate::Binaries {
            client: env!("CARGO_BIN_EXE_komunikator"),
            broker: option_env!("CARGO_BIN_EXE_komunikator-broker"),
        }
    };
}

static BINARIES: OnceLock<Binaries> = OnceLock::new();

/// Records where the binaries are, before anything starts them. Without it
/// the paths come from the environment cargo runs tests and benches in.
pub fn use_binaries(binaries: Binaries) {
    let kept = BINARIES.get_or_init(|| binaries);
    assert_eq!(*kept, binaries, "two different sets of binaries in one test process");
}

pub(crate) fn binaries() -> &'static Binaries {
    BINARIES.get_or_init(|| {
        let from_env = |name: &str| std::env::var(name).ok().map(|path| &*path.leak());
        Binaries {
            client: from_env("CARGO_BIN_EXE_komunikator").expect(
                "CARGO_BIN_EXE_komunikator is not set: run under cargo, or call \
                 komunikator_testkit::use_binaries(komunikator_testkit::binaries!()) first",
            ),
            broker: from_env("CARGO_BIN_EXE_komunikator-broker"),
        }
    })
}

/// The `komunikator` executable under test.
pub fn client_binary() -> &'static str {
    binaries().client
}

/// `komunikator-broker`, when this build has one.
pub(crate) fn broker_binary() -> Option<&'static str> {
    binaries().broker
}
